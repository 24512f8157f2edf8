// Who connected (#19.6), through the real host, broker, Vault dev server and PostgreSQL with the
// real psql: the audit file names psql with its pid, the credential's path, bytes and how the
// session ended — and never the password the broker used; the Activity events name psql.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../broker/supervisor';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort } from '../../sandbox/servers';
import { createAppHost, type AppHost } from '.';
import { kvPut, postgresConnection, psql, recordingPlatform, writeTestConfig } from './testing';

describe('the audit file and the Activity of client sessions', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let configPath: string;
  let appPassword: string;
  const auditFile = () => path.join(sandbox.dir, 'audit', 'audit.jsonl');
  const records = async (): Promise<SessionRecord[]> =>
    (await readFile(auditFile(), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SessionRecord);
  const start = () => createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });

  beforeAll(async () => {
    sandbox = await startSandbox();
    const secret = await fetch(`${sandbox.vaultAddr}/v1/secret/data/sandbox/postgres`, {
      headers: { 'X-Vault-Token': sandbox.rootToken },
    });
    appPassword = ((await secret.json()) as { data: { data: { password: string } } }).data.data.password;
    await kvPut(sandbox, 'audit-wrong', { username: sandbox.postgresAppUser, password: 'not-the-password-7f3a' });
    const pg = { host: sandbox.postgres.host, port: sandbox.postgres.port };
    configPath = path.join(sandbox.dir, 'audit-test.yaml');
    await writeTestConfig(configPath, sandbox, [
      postgresConnection('orders', await freePort(), pg, 'sandbox/postgres'),
      postgresConnection('wrong', await freePort(), pg, 'audit-wrong'),
    ]);
    host = await start();
  });

  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  it('records a psql session: its process, credential path, bytes, who closed — and no secret', async () => {
    const view = await host.call('connections.setEnabled', { name: 'orders', enabled: true });
    // A client that is gone within the lookup's few ms is 'unknown' by design; a real session
    // lasts longer than that, and so does this one.
    const result = await psql(view.listen, 'select current_user from pg_sleep(0.3)');
    expect(result.stdout).toBe(sandbox.postgresAppUser);
    await expect.poll(async () => (await records()).length, { timeout: 10_000 }).toBe(1);
    const [record] = await records();
    expect(record).toMatchObject({
      connection: 'orders',
      protocol: 'postgres',
      client: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      process: { pid: expect.any(Number), name: 'psql', exe: expect.stringMatching(/psql$/) },
      credentialPath: 'secret/data/sandbox/postgres',
      ended: { by: 'client' },
    });
    expect(record!.bytesToTarget).toBeGreaterThan(0);
    expect(record!.bytesToClient).toBeGreaterThan(0);

    // The Activity names psql, with the address as the secondary detail.
    const activity = await host.call('activity.list', {});
    const connected = activity.find((a) => a.kind === 'client-connected' && a.connection === 'orders');
    expect(connected).toMatchObject({
      message: `psql (pid ${(record!.process as { pid: number }).pid}) connected from ${record!.client}`,
      client: record!.client,
      process: { name: 'psql', pid: (record!.process as { pid: number }).pid },
    });
  });

  it('records a refused session with the reason', async () => {
    const view = await host.call('connections.setEnabled', { name: 'wrong', enabled: true });
    const result = await psql(view.listen, 'select 1');
    expect(result.status).not.toBe(0);
    await expect
      .poll(async () => (await records()).some((r) => r.connection === 'wrong'), { timeout: 10_000 })
      .toBe(true);
    const refused = (await records()).find((r) => r.connection === 'wrong');
    // psql leaves at once when refused, often before its process could be looked up.
    expect(refused!.process === 'unknown' || (refused!.process as { name: string }).name === 'psql').toBe(true);
    expect(refused).toMatchObject({
      credentialPath: 'secret/data/audit-wrong',
      ended: { by: 'refused', message: expect.stringMatching(/password|authentication/i) },
    });
  });

  it('keeps the file 0600 in a 0700 folder, never holds a credential value, and appends after a restart', async () => {
    expect((await stat(auditFile())).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(auditFile()))).mode & 0o777).toBe(0o700);
    const text = await readFile(auditFile(), 'utf8');
    expect(appPassword.length).toBeGreaterThan(8);
    expect(text).not.toContain(appPassword);
    expect(text).not.toContain('not-the-password-7f3a');
    expect(text).not.toContain(sandbox.rootToken);

    const before = (await records()).length;
    await host.close();
    host = await start();
    const view = await host.call('connections.setEnabled', { name: 'orders', enabled: true });
    expect((await psql(view.listen, 'select 1')).stdout).toBe('1');
    await expect.poll(async () => (await records()).length, { timeout: 10_000 }).toBe(before + 1);
    expect((await readFile(auditFile(), 'utf8')).startsWith(text)).toBe(true);
  });
});
