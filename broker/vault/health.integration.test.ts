// Vault health as the first-run form and the host's watcher read it, against the dev server
// (plain and TLS), a closed port and an HTTP server that is not Vault.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalhostCertificate,
  createTempDir,
  freePort,
  removeTempDir,
  type TlsFiles,
} from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { checkVaultAddress, createVaultClient, readVaultHealth } from './index';

let vault: VaultDevServer;
let tlsVault: VaultDevServer;
let tls: TlsFiles;
let dir: string;
let notVault: Server;

beforeAll(async () => {
  dir = createTempDir('health');
  tls = await createLocalhostCertificate(dir);
  [vault, tlsVault] = await Promise.all([
    startVaultDev(),
    startVaultDev({ tls: { certFile: tls.certFile, keyFile: tls.keyFile } }),
  ]);
  notVault = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
  await new Promise<void>((resolve) => notVault.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all([vault?.stop(), tlsVault?.stop(), new Promise((resolve) => notVault?.close(resolve))]);
  removeTempDir(dir);
});

describe('readVaultHealth / checkVaultAddress', () => {
  it('an unsealed Vault is ok, with its version', async () => {
    const health = await checkVaultAddress(vault.address);
    expect(health).toMatchObject({ address: vault.address, status: 'ok' });
    expect(health.version).toMatch(/^\d+\.\d+/);
    expect(health.message).toContain('up and unsealed');
  });

  it('sealed and standby are told apart from up; unsealing brings ok back', async () => {
    const client = createVaultClient({ address: vault.address });
    vault.seal();
    try {
      const sealed = await readVaultHealth(client);
      expect(sealed.status).toBe('sealed');
      expect(sealed.message).toMatch(/sealed.*unseals/);
    } finally {
      vault.unseal();
    }
    vault.setStandby(true);
    try {
      expect((await readVaultHealth(client)).status).toBe('standby');
    } finally {
      vault.setStandby(false);
    }
    expect((await readVaultHealth(client)).status).toBe('ok');
  });

  it('a closed port is unreachable, in words', async () => {
    const port = await freePort();
    const health = await checkVaultAddress(`http://127.0.0.1:${port}`);
    expect(health.status).toBe('unreachable');
    expect(health.message).toContain('nothing is listening there (ECONNREFUSED)');
  });

  it('an address that is not a URL, or not http(s), is an error naming the expectation', async () => {
    expect(await checkVaultAddress('vault.example.com')).toMatchObject({
      status: 'error',
      message: expect.stringContaining('not a URL'),
    });
    expect(await checkVaultAddress('ftp://127.0.0.1:8200')).toMatchObject({
      status: 'error',
      message: expect.stringContaining('http:// or https://'),
    });
  });

  it('an address that speaks another protocol (an sshd) is told as "does not speak HTTP"', async () => {
    const sockets = new Set<Socket>();
    const sshd = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.end('SSH-2.0-OpenSSH_9.2\r\n');
    });
    await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
    try {
      const health = await checkVaultAddress(`http://127.0.0.1:${(sshd.address() as AddressInfo).port}`);
      expect(health.status).toBe('unreachable');
      expect(health.message).toMatch(/cannot be reached: that address does not speak HTTP \(HPE_[A-Z_]+\)/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => sshd.close(resolve));
    }
  });

  it('an invalid token is said once, in plain words', async () => {
    const client = createVaultClient({ address: vault.address, attempts: 1 });
    const error = await client
      .request({ method: 'GET', path: 'auth/token/lookup-self', token: 'hvs.not-a-real-token' })
      .catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      'Vault refused the token for auth/token/lookup-self: it is invalid, expired or revoked',
    );
  });

  it('an HTTP server that is not Vault is an error, not "up"', async () => {
    const { port } = notVault.address() as AddressInfo;
    const health = await checkVaultAddress(`http://127.0.0.1:${port}`);
    expect(health.status).toBe('error');
    expect(health.message).toContain('not like Vault');
  });

  it('TLS: an untrusted certificate points at the CA setting; with the CA it is ok', async () => {
    const untrusted = await checkVaultAddress(tlsVault.address);
    expect(untrusted.status).toBe('unreachable');
    expect(untrusted.message).toMatch(/not trusted|self-signed/);
    expect(untrusted.message).toContain('CA certificate');
    expect((await checkVaultAddress(tlsVault.address, { caCertFile: tls.caFile })).status).toBe('ok');
    const missingCa = await checkVaultAddress(tlsVault.address, { caCertFile: `${dir}/no-such-ca.pem` });
    expect(missingCa).toMatchObject({ status: 'error', message: expect.stringContaining('cannot read') });
  });
});
