// The listener itself: TLS with given cert/key, the LIST method on a raw connection, HEAD,
// paths outside /v1/, options validation, and stop() releasing the port.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalhostCertificate, isPortOpen } from '../servers/index';
import { startVaultDev, type VaultDevServer } from './index';

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('dev server listener', () => {
  let dev: VaultDevServer;
  beforeAll(async () => {
    dev = await startVaultDev({ rootToken: 'root' });
    await fetch(`${dev.address}/v1/secret/data/dir/key`, {
      method: 'POST',
      headers: { 'X-Vault-Token': 'root' },
      body: JSON.stringify({ data: { a: 1 } }),
    });
  });
  afterAll(async () => {
    await dev?.stop();
  });

  it('answers the LIST method sent on a raw connection, then closes it', async () => {
    const answer = await rawRequest(
      dev.port,
      'LIST /v1/secret/metadata/dir HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toMatch(/Connection: close/);
    expect(answer).toContain('"keys":["key"]');
  });

  it('paths outside /v1/ → 404 {"errors":[]}', async () => {
    const r = await fetch(`${dev.address}/nothing`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ errors: [] });
  });

  it('a random root token by default, in hvs. form', async () => {
    const other = await startVaultDev();
    try {
      expect(other.rootToken).toMatch(/^hvs\.[A-Za-z0-9]{24}$/);
      expect(other.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await other.stop();
    }
  });

  it('rejects an empty root token option', async () => {
    await expect(startVaultDev({ rootToken: ' ' })).rejects.toThrow(/rootToken/);
  });

  it('stop() frees the port, even with a keep-alive client connected', async () => {
    const other = await startVaultDev();
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve) => {
      http.get(`${other.address}/v1/sys/health`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
    });
    await other.stop();
    expect(await isPortOpen(other.port)).toBe(false);
    agent.destroy();
  });

  it('serves HTTPS with the given certificate and key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-vault-tls-'));
    let tlsDev: VaultDevServer | undefined;
    try {
      const tls = await createLocalhostCertificate(dir);
      tlsDev = await startVaultDev({ tls: { certFile: tls.certFile, keyFile: tls.keyFile } });
      expect(tlsDev.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${tlsDev?.address}/v1/sys/health`, { ca: fs.readFileSync(tls.caFile) }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(JSON.parse(body)).toMatchObject({ initialized: true, sealed: false });
    } finally {
      await tlsDev?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
