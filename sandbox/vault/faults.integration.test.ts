// Fault controls of the dev server: /_sandbox/ over HTTP and the programmatic `faults` hooks.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev, type VaultDevServer } from './index';
import { vaultClient, type VaultClient } from './testing';

describe('fault controls', () => {
  let dev: VaultDevServer;
  let v: VaultClient;
  const control = (method: string, path: string, body?: unknown, token = 'root') =>
    fetch(`${dev.address}/_sandbox/${path}`, {
      method,
      headers: { 'X-Vault-Token': token },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    dev = await startVaultDev({ rootToken: 'root' });
    v = vaultClient(dev.address, dev.rootToken);
    await v.post('secret/data/a', { data: { x: 1 } });
  });
  afterEach(() => {
    dev.faults.clear();
    dev.unseal();
    dev.setStandby(false);
  });
  afterAll(async () => {
    await dev?.stop();
  });

  it('controls need the root token', async () => {
    expect((await control('GET', 'faults', undefined, 'wrong')).status).toBe(403);
    expect((await control('GET', 'faults', undefined, '')).status).toBe(403);
  });

  it('forces a status for N requests under a path prefix, then behaves again', async () => {
    const r = await control('POST', 'faults', { path_prefix: 'secret/', status: 500, count: 2 });
    expect(r.status).toBe(200);
    const rule = (await r.json()) as { id: string };
    expect(rule.id).toBeTruthy();
    const first = await v.get('secret/data/a');
    expect(first.status).toBe(500);
    expect(first.body.errors.length).toBe(1);
    expect((await v.get('auth/token/lookup-self')).status).toBe(200);
    expect((await v.get('secret/data/a')).status).toBe(500);
    expect((await v.get('secret/data/a')).status).toBe(200);
  });

  it('forced 429 with custom errors until removed', async () => {
    const rule = dev.faults.fail(429, { errors: ['rate limit quota exceeded'] });
    for (let i = 0; i < 3; i++) {
      const r = await v.get('secret/data/a');
      expect(r.status).toBe(429);
      expect(r.body.errors).toEqual(['rate limit quota exceeded']);
    }
    expect((await control('DELETE', `faults/${rule.id}`)).status).toBe(204);
    expect((await v.get('secret/data/a')).status).toBe(200);
  });

  it('drops connections without an answer', async () => {
    dev.faults.drop({ count: 1, pathPrefix: 'secret/' });
    await expect(v.get('secret/data/a')).rejects.toThrow();
    expect((await v.get('secret/data/a')).status).toBe(200);
  });

  it('adds latency (a client with a shorter deadline gives up)', async () => {
    await control('POST', 'faults', { latency_ms: 3000, count: 1 });
    await expect(fetch(`${dev.address}/v1/sys/health`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(dev.faults.list()).toHaveLength(0);
  });

  it('seals and unseals through /_sandbox/', async () => {
    expect((await control('POST', 'seal')).status).toBe(204);
    const sealed = await v.get('secret/data/a');
    expect(sealed.status).toBe(503);
    expect(sealed.body.errors).toEqual(['Vault is sealed']);
    expect((await control('POST', 'unseal')).status).toBe(204);
    expect((await v.get('secret/data/a')).status).toBe(200);
  });

  it('simulates a standby node for sys/health', async () => {
    expect((await control('POST', 'standby', { standby: true })).status).toBe(204);
    const h = await v.get('sys/health', { token: '' });
    expect(h.status).toBe(429);
    expect(h.body.standby).toBe(true);
    expect((await v.get('sys/health?standbyok=true', { token: '' })).status).toBe(200);
  });

  it('rejects malformed control requests with 400', async () => {
    expect((await control('POST', 'faults', {})).status).toBe(400);
    expect((await control('POST', 'faults', { status: 42 })).status).toBe(400);
    expect(
      (
        await fetch(`${dev.address}/_sandbox/faults`, {
          method: 'POST',
          headers: { 'X-Vault-Token': 'root' },
          body: '{',
        })
      ).status,
    ).toBe(400);
    expect((await control('POST', 'nothing-here')).status).toBe(404);
  });
});
