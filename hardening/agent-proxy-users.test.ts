// Issue 17, item 4: the caching proxy answers with the session's token, so whoever can connect
// to it uses the developer's Vault session — and `auth/token/lookup-self` through it even shows
// the token itself (data.id). Over TCP on 127.0.0.1 that is every local user; a unix socket
// (0600 in a 0700 directory) is the developer's alone. These tests hold both claims.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../broker/log';
import { startAgentProxy, type AgentProxy } from '../broker/proxy';
import { createVaultClient } from '../broker/vault';
import { createVaultSession } from '../broker/vault-session';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { createPeriodicToken } from './testing/host-world';
import { canMakeUsers, createOtherUser, type OtherUser } from './testing/other-user';

const log = createLogger('hardening', () => {}, 'error');

/** The other user's program: GET lookup-self through the proxy, as the vault CLI would. */
const LOOKUP = String.raw`
import http from 'node:http';
const [target] = process.argv.slice(2);
const options = target.startsWith('unix:') ? { socketPath: target.slice(5) } : { host: '127.0.0.1', port: Number(new URL(target).port) };
const req = http.request({ ...options, path: '/v1/auth/token/lookup-self', headers: { 'X-Vault-Request': 'true' } }, (res) => {
  let body = '';
  res.on('data', (c) => (body += c));
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, id: JSON.parse(body || '{}').data?.id ?? null })));
});
req.on('error', (e) => console.log(JSON.stringify({ error: e.code })));
req.end();
`;

describe.skipIf(!canMakeUsers())('the caching proxy against another local user', () => {
  let vault: VaultDevServer;
  let attacker: OtherUser;
  let dir: string;
  let token: string;
  let session: ReturnType<typeof createVaultSession>;
  const proxies: AgentProxy[] = [];

  beforeAll(async () => {
    [vault, attacker] = await Promise.all([startVaultDev(), createOtherUser()]);
    dir = await mkdtemp(path.join(tmpdir(), 'sesame-agent-users-'));
    token = await createPeriodicToken(vault.address, vault.rootToken);
    session = createVaultSession(createVaultClient({ address: vault.address }), log);
    await session.login({ method: 'token', token });
  });

  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
    session?.close();
    await attacker?.remove();
    await vault?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function lookupAs(address: string) {
    const { stdout } = await attacker.node(await attacker.program(`lookup-${proxies.length}.mjs`, LOOKUP), [address]);
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      status?: number;
      id?: string | null;
      error?: string;
    };
  }

  it('on a unix socket, another user cannot connect at all', async () => {
    const proxy = await startAgentProxy({
      vaultAddress: vault.address,
      listen: `unix:${path.join(dir, 'run', 'agent.sock')}`,
      session,
      log,
    });
    proxies.push(proxy);
    expect(await lookupAs(proxy.address)).toEqual({ error: 'EACCES' });
  });

  it('on TCP 127.0.0.1, every local user uses the session — what SECURITY.md and the UI say plainly', async () => {
    const proxy = await startAgentProxy({ vaultAddress: vault.address, listen: '127.0.0.1:0', session, log });
    proxies.push(proxy);
    const seen = await lookupAs(proxy.address);
    expect(seen.status).toBe(200);
    expect(seen.id).toBe(token);
  });
});
