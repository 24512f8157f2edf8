// A client that connects while Sesame needs a Vault login is held until the login, and then
// served (issue #19 item 1; #18 item 6). Real psql through the PostgreSQL broker, a Vault-dynamic
// user per client, the sandbox's Vault:
// - the daemon with a token file: the token is revoked at Vault; the next psql is not refused
//   "permission denied" (as before) but held while the session notices, and served once a valid
//   token appears in the file;
// - the app with a window: logged out, a psql waits, the session view names it (what the login
//   panel, the tray and the notification show), and a login lets it finish;
// - vault.holdClientsFor: 0s refuses at once, saying Sesame is not logged in;
// - turning a connection on while logged out is not held and is not an error.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort } from '../../sandbox/servers';
import { createPeriodicToken } from '../../hardening/testing/host-world';
import { createAppHost, type AppHost } from '.';
import { psql, recordingPlatform } from './testing';

let sandbox: Sandbox;
let host: AppHost | undefined;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});
afterEach(async () => {
  await host?.close();
  host = undefined;
});

/** A config with one Vault-dynamic PostgreSQL connection, logging in with `tokenFile`. */
async function writeConfig(name: string, tokenFile: string, vault: Record<string, unknown> = {}) {
  const listen = `127.0.0.1:${await freePort()}`;
  const configPath = path.join(sandbox.dir, `${name}.yaml`);
  const config = {
    vault: { address: sandbox.vaultAddr, auth: { method: 'token', tokenFile }, ...vault },
    connections: [
      {
        name: 'orders',
        protocol: 'postgres',
        listen,
        autoStart: true,
        target: { host: sandbox.postgres.host, port: sandbox.postgres.port, database: 'sandbox', sslmode: 'disable' },
        credentials: { from: 'vault-dynamic', path: 'database/creds/sandbox-postgres', lease: 'per-connection' },
      },
    ],
  };
  await writeFile(configPath, stringify(config), { mode: 0o600 });
  return { configPath, listen };
}

async function revoke(token: string): Promise<void> {
  const res = await fetch(`${sandbox.vaultAddr}/v1/auth/token/revoke`, {
    method: 'POST',
    headers: { 'X-Vault-Token': sandbox.rootToken },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(204);
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('holding a client for a Vault login', () => {
  it('the daemon: a revoked token holds psql until a valid one is in the token file, then serves it', async () => {
    const tokenFile = path.join(sandbox.dir, 'daemon-token');
    const first = await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken);
    await writeFile(tokenFile, `${first}\n`, { mode: 0o600 });
    const { configPath, listen } = await writeConfig('hold-daemon', tokenFile);
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'daemon', log: silentLogger });
    expect((await psql(listen, 'select 1')).stdout).toBe('1');

    await revoke(first);
    const started = Date.now();
    const held = psql(listen, 'select current_user');
    // The session notices (Vault answers "invalid token"), tries the file (the same revoked
    // token), and holds the client while it waits for the file to change.
    const view = await until(
      () => host!.call('session.get', {}),
      (s) => (s.waiting?.length ?? 0) === 1 && s.state === 'error' && /^psql/.test(s.waiting![0]!.client),
      'the client to be held, and the token file refused',
    );
    expect(view.error).toMatch(
      /is invalid or revoked \(Vault refused it\); Sesame logs in with it again when the file changes/,
    );
    expect(view.waiting![0]).toMatchObject({
      connection: 'orders',
      client: expect.stringMatching(/^psql \(pid \d+\)$/), // named by broker/peer-process
    });
    expect((await host.call('connections.list', {}))[0]!.stats.waitingForLogin).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await writeFile(tokenFile, `${await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken)}\n`);
    const result = await held;
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^v-/); // a Vault-made user: the query ran
    expect(Date.now() - started).toBeGreaterThan(1_500); // it waited for the new token
    expect((await host.call('session.get', {})).waiting).toBeUndefined();
    const activity = (await host.call('activity.list', {})).map((a) => a.message);
    expect(
      activity.some((m) => /client (psql \(pid \d+\)|127\.0\.0\.1:\d+) is waiting for a Vault login/.test(m)),
    ).toBe(true);
  });

  it('the app: logged out, psql waits, the session names it, a login lets it finish', async () => {
    const tokenFile = path.join(sandbox.dir, 'app-token');
    await writeFile(tokenFile, `${await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken)}\n`, { mode: 0o600 });
    const { configPath, listen } = await writeConfig('hold-app', tokenFile);
    const notes: string[] = [];
    const platform = {
      ...recordingPlatform(),
      notify: (title: string, body: string) => void notes.push(`${title}: ${body}`),
    };
    host = await createAppHost({ configPath, platform, mode: 'browser', log: silentLogger });
    await host.call('session.logout', {});

    const held = psql(listen, 'select current_user');
    const view = await until(
      () => host!.call('session.get', {}),
      (s) => (s.waiting?.length ?? 0) === 1 && notes.length > 0,
      'the client to be held, and the notification',
    );
    expect(view.state).toBe('logged-out');
    // One notification, naming the program (the process lookup answers before it is raised).
    expect(notes).toEqual([
      expect.stringMatching(
        /^Log in to Vault: psql \(pid \d+\) on orders is waiting for you to log in to Vault in Sesame\.$/,
      ),
    ]);

    await host.call('session.login', {
      method: 'token',
      token: await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken),
    });
    const result = await held;
    expect(result.stdout).toMatch(/^v-/);
  });

  it('turning a connection on while logged out neither waits for a login nor calls it an error', async () => {
    const tokenFile = path.join(sandbox.dir, 'preflight-token');
    await writeFile(tokenFile, `${await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken)}\n`, { mode: 0o600 });
    const { configPath } = await writeConfig('hold-preflight', tokenFile);
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });
    await host.call('session.logout', {});
    await host.call('connections.setEnabled', { name: 'orders', enabled: false });
    const started = Date.now();
    const on = await host.call('connections.setEnabled', { name: 'orders', enabled: true });
    // The check before "Ready" does not hold for a login (it used to, up to holdClientsFor).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(on.state).toBe('ready');
    expect(on.error).toBeUndefined();
    expect((await host.call('session.get', {})).waiting).toBeUndefined();
  });

  it('vault.holdClientsFor: 0s refuses at once, saying Sesame is not logged in', async () => {
    const tokenFile = path.join(sandbox.dir, 'refuse-token');
    await writeFile(tokenFile, `${await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken)}\n`, { mode: 0o600 });
    const { configPath, listen } = await writeConfig('hold-none', tokenFile, { holdClientsFor: '0s' });
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });
    await host.call('session.logout', {});
    const result = await psql(listen, 'select 1');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Sesame is not logged in to Vault; log in to Vault in Sesame/);
  });
});
