// sys/leases against the dev server, with a small leasing engine mounted through the public
// `secretsEngines` option: lookup, renew capped by max TTL, revoke, revoke-prefix (sudo),
// real-time expiry calling the engine's revoke callback, and leases dying with their token.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendFactory } from './backend';
import { badRequest } from './errors';
import { startVaultDev, type VaultDevServer } from './index';
import { sleep, vaultClient, type VaultClient } from './testing';

const revoked: string[] = [];

/** `tickets/issue/:name?ttl=N` hands out a leased ticket (max TTL 6 s); revocation is recorded. */
const ticketEngine: BackendFactory = () => ({
  async handle(req) {
    const [head, name] = req.path.split('/');
    if (head !== 'issue' || !name || req.operation !== 'read') throw badRequest('unsupported');
    const ttl = Number(req.body.ttl ?? 2);
    return {
      data: { ticket: randomUUID() },
      secret: { ttl, maxTtl: 6, renewable: name !== 'fixed', internal: { name } },
    };
  },
  async revokeLease(lease) {
    revoked.push(String(lease.internal.name));
  },
});

async function waitUntilPast(ms: number): Promise<void> {
  const left = ms - Date.now();
  if (left > 0) await sleep(left);
}

describe('sys/leases with a leasing engine', () => {
  let dev: VaultDevServer;
  let v: VaultClient;
  beforeAll(async () => {
    dev = await startVaultDev({ rootToken: 'root', secretsEngines: { tickets: ticketEngine } });
    v = vaultClient(dev.address, dev.rootToken);
    expect((await v.post('sys/mounts/tickets', { type: 'tickets' })).status).toBe(204);
  });
  afterAll(async () => {
    await dev?.stop();
  });

  it('a leased secret carries lease_id <mount><path>/<id>, renewable and lease_duration', async () => {
    const r = await v.get('tickets/issue/a?ttl=60');
    expect(r.status).toBe(200);
    expect(r.body.lease_id).toMatch(/^tickets\/issue\/a\/[A-Za-z0-9]{24}$/);
    expect(r.body).toMatchObject({ renewable: true, lease_duration: 6 });
    expect(r.body.warnings.join(' ')).toMatch(/max_ttl/);
  });

  it('lookup answers id, times, renewable and ttl; unknown → 400', async () => {
    const r = await v.get('tickets/issue/b?ttl=5');
    const l = await v.put('sys/leases/lookup', { lease_id: r.body.lease_id });
    expect(l.status).toBe(200);
    expect(l.body.data).toMatchObject({ id: r.body.lease_id, renewable: true, last_renewal: null });
    expect(l.body.data.ttl).toBeGreaterThan(0);
    expect(Date.parse(l.body.data.issue_time)).not.toBeNaN();
    expect(Date.parse(l.body.data.expire_time)).not.toBeNaN();
    const missing = await v.put('sys/leases/lookup', { lease_id: 'tickets/issue/b/nope' });
    expect(missing.status).toBe(400);
    expect((await v.put('sys/leases/lookup', {})).status).toBe(400);
  });

  it('renew extends, capped by the max TTL; a non-renewable lease → 400', async () => {
    const r = await v.get('tickets/issue/c?ttl=2');
    const renewed = await v.put('sys/leases/renew', { lease_id: r.body.lease_id, increment: 100 });
    expect(renewed.status).toBe(200);
    expect(renewed.body.lease_id).toBe(r.body.lease_id);
    expect(renewed.body.renewable).toBe(true);
    expect(renewed.body.lease_duration).toBeLessThanOrEqual(6);
    expect(renewed.body.warnings.join(' ')).toMatch(/max_ttl/);
    const fixed = await v.get('tickets/issue/fixed?ttl=5');
    const refused = await v.put('sys/leases/renew', { lease_id: fixed.body.lease_id });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]).toMatch(/not renewable/);
    expect((await v.put('sys/leases/renew', { lease_id: 'tickets/none/x' })).status).toBe(400);
  });

  it('revoke → 204 and the engine revoked it', async () => {
    const r = await v.get('tickets/issue/d?ttl=60');
    expect((await v.put('sys/leases/revoke', { lease_id: r.body.lease_id })).status).toBe(204);
    expect(revoked).toContain('d');
    expect((await v.put('sys/leases/lookup', { lease_id: r.body.lease_id })).status).toBe(400);
  });

  it('revoke-prefix needs sudo and revokes everything under the prefix', async () => {
    await v.get('tickets/issue/p1?ttl=60');
    await v.get('tickets/issue/p2?ttl=60');
    await v.put('sys/policies/acl/leases', {
      policy: 'path "sys/leases/revoke-prefix/*" { capabilities = ["update"] }',
    });
    const t = (await v.post('auth/token/create', { policies: ['leases'] })).body.auth.client_token;
    expect((await v.put('sys/leases/revoke-prefix/tickets/issue/', {}, { token: t })).status).toBe(403);
    expect((await v.put('sys/leases/revoke-prefix/tickets/issue/', {})).status).toBe(204);
    expect(revoked).toEqual(expect.arrayContaining(['p1', 'p2']));
  });

  it('expiry is real time: the engine revokes within 1 s of expire_time', async () => {
    const r = await v.get('tickets/issue/exp?ttl=2');
    const l = await v.put('sys/leases/lookup', { lease_id: r.body.lease_id });
    expect(revoked).not.toContain('exp');
    await waitUntilPast(Date.parse(l.body.data.expire_time) + 1000);
    expect(revoked).toContain('exp');
  });

  it("revoking a token revokes the leases it created, and its children's", async () => {
    await v.put('sys/policies/acl/tickets', {
      policy: 'path "tickets/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }',
    });
    const parent = (await v.post('auth/token/create', { policies: ['tickets'] })).body.auth.client_token;
    const child = (await v.post('auth/token/create', { policies: ['tickets'] }, { token: parent })).body.auth
      .client_token;
    expect((await v.get('tickets/issue/by-parent?ttl=60', { token: parent })).status).toBe(200);
    expect((await v.get('tickets/issue/by-child?ttl=60', { token: child })).status).toBe(200);
    expect((await v.post('auth/token/revoke', { token: parent })).status).toBe(204);
    expect(revoked).toEqual(expect.arrayContaining(['by-parent', 'by-child']));
  });
});
