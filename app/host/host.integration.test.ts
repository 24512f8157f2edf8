// The host over the real broker, the Vault dev server and PostgreSQL: the walking path and its
// bad-input cases, with the real psql as the client; credential sources beside Vault KV;
// settings the host cannot serve (an ssh-agent key.lifetime under 10 s); and an imported secretless.yml.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort, randomPassword } from '../../sandbox/servers';
import type { AppEvent } from '../api';
import { importSecretless } from '../config';
import { createAppHost, type AppHost } from '.';
import { kvPut, postgresConnection, psql, recordingPlatform, run, writeTestConfig } from './testing';

describe('app host over the real broker', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  const events: AppEvent[] = [];
  let appPassword: string;
  const mysqlPassword = randomPassword();
  /** What the test platform's launch ran: psql for real, anything else only recorded. */
  const launched: { argv: string[]; status: number; stdout: string; stderr: string }[] = [];
  const platform = recordingPlatform(async (argv) => {
    if (argv[0] !== 'psql') return;
    launched.push({ argv, ...(await run(argv[0], argv.slice(1))) });
  });

  beforeAll(async () => {
    sandbox = await startSandbox();
    await kvPut(sandbox, 'wrong-password', { username: sandbox.postgresAppUser, password: 'not-the-password' });
    await kvPut(sandbox, 'no-password', { username: sandbox.postgresAppUser });
    const secret = await fetch(`${sandbox.vaultAddr}/v1/secret/data/sandbox/postgres`, {
      headers: { 'X-Vault-Token': sandbox.rootToken },
    });
    appPassword = ((await secret.json()) as { data: { data: { password: string } } }).data.data.password;
    const secretsDir = path.join(sandbox.dir, 'secrets');
    await mkdir(secretsDir, { mode: 0o700 });
    await writeFile(path.join(secretsDir, 'pg-password'), `${appPassword}\n`, { mode: 0o600 });
    const admin = await mysql.createConnection({
      host: sandbox.mariadb.host,
      port: sandbox.mariadb.port,
      user: sandbox.mariadb.adminUser,
      password: sandbox.mariadb.adminPassword,
    });
    try {
      for (const sql of [
        `CREATE USER 'shop'@'%' IDENTIFIED BY '${mysqlPassword}'`,
        'CREATE DATABASE shop',
        "GRANT ALL ON shop.* TO 'shop'@'%'",
      ])
        await admin.query(sql);
    } finally {
      await admin.end();
    }
    await kvPut(sandbox, 'shop-mysql', { username: 'shop', password: mysqlPassword });
    const pg = { host: sandbox.postgres.host, port: sandbox.postgres.port };
    const configPath = path.join(sandbox.dir, 'host-test.yaml');
    await writeTestConfig(configPath, sandbox, [
      postgresConnection('orders', await freePort(), pg, 'sandbox/postgres', {
        gui: "psql {url} -At -c 'select current_user'",
      }),
      postgresConnection('wrong', await freePort(), pg, 'wrong-password'),
      postgresConnection('nopass', await freePort(), pg, 'no-password'),
      postgresConnection('from-file', await freePort(), pg, '', {
        credentials: {
          from: 'file',
          fields: { password: 'secrets/pg-password' },
          values: { username: sandbox.postgresAppUser },
        },
      }),
      {
        name: 'shop',
        protocol: 'mysql',
        listen: `127.0.0.1:${await freePort()}`,
        target: { host: sandbox.mariadb.host, port: sandbox.mariadb.port, database: 'shop', sslmode: 'disable' },
        credentials: { from: 'vault-kv', path: 'secret/shop-mysql' },
      },
      {
        name: 'agent',
        protocol: 'ssh-agent',
        listen: `unix:${sandbox.dir}/agent/agent.sock`,
        credentials: { from: 'vault-kv', path: 'secret/agent-key' },
        // Too short a key lifetime: a setting the host refuses to serve, with the reason.
        key: { lifetime: '5s' },
        autoStart: true,
      },
    ]);
    host = await createAppHost({ configPath, platform, mode: 'browser', log: silentLogger });
    host.subscribe((e) => events.push(e));
  });

  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  it('logs in at start with the token file and shows the session without the token', async () => {
    const session = await host.call('session.get', {});
    expect(session.state).toBe('authenticated');
    expect(session.policies).toContain('root');
    expect(JSON.stringify(session)).not.toContain(sandbox.rootToken);
  });

  it('brokers psql to PostgreSQL with the KV credential; turning off closes the port', async () => {
    const view = await host.call('connections.setEnabled', { name: 'orders', enabled: true });
    expect(view.state).toBe('ready');
    const result = await psql(view.listen, 'select current_user');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(sandbox.postgresAppUser);
    await expect
      .poll(() =>
        events.some(
          (e) => e.event === 'connection.changed' && e.payload.name === 'orders' && e.payload.stats.sessionsServed >= 1,
        ),
      )
      .toBe(true);

    const off = await host.call('connections.setEnabled', { name: 'orders', enabled: false });
    expect(off.state).toBe('off');
    expect((await psql(view.listen, 'select 1')).stderr).toMatch(/Connection refused/);
  });

  it('answers a wrong KV password with a clear error naming the connection, never the secret', async () => {
    const view = await host.call('connections.setEnabled', { name: 'wrong', enabled: true });
    expect(view.state).toBe('ready');
    const result = await psql(view.listen, 'select 1');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("connection 'wrong'");
    expect(result.stderr).not.toContain('not-the-password');
  });

  it('puts a connection whose secret lacks the password in error, and tells psql why (28000)', async () => {
    const view = await host.call('connections.setEnabled', { name: 'nopass', enabled: true });
    expect(view.state).toBe('error');
    expect(view.error).toBe("the Vault secret at secret/data/no-password has no 'password' field");
    const result = await psql(view.listen, 'select 1');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("the Vault secret at secret/data/no-password has no 'password' field");
  });

  it('reads the password from a file beside a fixed user name', async () => {
    const view = await host.call('connections.setEnabled', { name: 'from-file', enabled: true });
    expect(view.state).toBe('ready');
    const result = await psql(view.listen, 'select current_user');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(sandbox.postgresAppUser);
  });

  it('shows a connection whose settings this build cannot serve as an error, and keeps serving the others', async () => {
    const list = await host.call('connections.list', {});
    expect(list.map((c) => c.name)).toEqual(['orders', 'wrong', 'nopass', 'from-file', 'shop', 'agent']);
    const agent = list.find((c) => c.name === 'agent')!;
    const reason = expect.stringMatching(/^key\.lifetime must be at least 10s/);
    expect(agent).toMatchObject({ protocol: 'ssh-agent', state: 'error', error: reason, target: 'ssh-agent' });
    const again = await host.call('connections.setEnabled', { name: 'agent', enabled: true });
    expect(again).toMatchObject({ state: 'error', error: reason });
    const activity = await host.call('activity.list', {});
    expect(
      activity.some(
        (a) => a.connection === 'agent' && a.level === 'error' && /key\.lifetime must be at least 10s/.test(a.message),
      ),
    ).toBe(true);
  });

  it('brokers the real mariadb CLI to MariaDB with the KV credential, whatever user it names', async () => {
    const view = await host.call('connections.setEnabled', { name: 'shop', enabled: true });
    expect(view).toMatchObject({ state: 'ready', protocol: 'mysql', connectionString: `mysql://${view.listen}/shop` });
    const [address, port] = view.listen.split(':') as [string, string];
    const result = await run('mariadb', [
      '--no-defaults',
      '-h',
      address,
      '-P',
      port,
      '--protocol=TCP',
      '-u',
      'whoever',
      '--batch',
      '-N',
      '-e',
      'select current_user(), database()',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\t')).toEqual(['shop@%', 'shop']);
  });

  it('"Open in …" runs the configured template with the real psql against the broker address', async () => {
    await host.call('connections.setEnabled', { name: 'orders', enabled: true });
    const view = (await host.call('connections.list', {})).find((c) => c.name === 'orders')!;
    const result = await host.call('connections.openGui', { name: 'orders' });
    expect(result).toEqual({ connection: 'orders', how: 'command', opened: 'psql' });
    const ran = launched.at(-1)!;
    expect(ran.argv).toEqual([
      'psql',
      `postgresql://${view.listen}/sandbox?sslmode=disable`,
      '-At',
      '-c',
      'select current_user',
    ]);
    expect(ran).toMatchObject({ status: 0, stdout: sandbox.postgresAppUser, stderr: '' });
  });

  it('"Open in …" hands the URL to the OS, or starts a known GUI by name; "Open terminal" runs psql or mysql', async () => {
    const shop = (await host.call('connections.list', {})).find((c) => c.name === 'shop')!;
    expect(await host.call('connections.openGui', { name: 'shop' })).toEqual({
      connection: 'shop',
      how: 'url',
      opened: 'the application registered for mysql:// URLs',
      url: `mysql://${shop.listen}/shop`,
    });
    expect(platform.calls.at(-1)).toEqual({ kind: 'openExternal', args: [`mysql://${shop.listen}/shop`] });
    const dbeaver = await host.call('connections.openGui', { name: 'shop', gui: 'dbeaver' });
    expect(dbeaver).toMatchObject({ how: 'command', opened: 'DBeaver' });
    const [address, port] = shop.listen.split(':');
    expect(platform.calls.at(-1)?.args[0]).toEqual(
      process.platform === 'darwin'
        ? expect.arrayContaining(['open', '-con'])
        : [
            expect.stringMatching(/^dbeaver/),
            '-con',
            `driver=mysql|host=${address}|port=${port}|database=shop|user=sesame|name=Sesame shop|save=false|connect=true`,
          ],
    );
    const pgadmin = host.call('connections.openGui', { name: 'shop', gui: 'pgadmin4' });
    await expect(pgadmin).rejects.toMatchObject({
      code: 'invalid-input',
      message: 'pgAdmin 4 does not open mysql connections',
    });
    expect(await host.call('connections.openTerminal', { name: 'shop' })).toEqual({
      connection: 'shop',
      how: 'terminal',
      opened: 'mysql in a terminal',
    });
    expect(platform.calls.at(-1)).toEqual({
      kind: 'openTerminal',
      args: [
        ['mysql', '-h', address, '-P', port, '--protocol=TCP', '-u', 'sesame', '-D', 'shop'],
        { title: 'Sesame: shop' },
      ],
    });
  });

  it('will not open a connection that is off or unavailable', async () => {
    await expect(host.call('connections.openGui', { name: 'nopass' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^'nopass' is in error/),
    });
    await host.call('connections.setEnabled', { name: 'wrong', enabled: false });
    await expect(host.call('connections.openTerminal', { name: 'wrong' })).rejects.toMatchObject({
      code: 'conflict',
      message: "'wrong' is off: turn it on first",
    });
    await expect(host.call('connections.openTerminal', { name: 'agent' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses unknown connections and bad input without changing state', async () => {
    const before = await host.call('connections.list', {});
    await expect(host.call('connections.setEnabled', { name: 'nope', enabled: true })).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(host.call('connections.setListen', { name: 'nope', listen: '127.0.0.1:1' })).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(host.call('connections.openGui', { name: 'nope' })).rejects.toMatchObject({ code: 'not-found' });
    expect(await host.call('connections.list', {})).toEqual(before);
  });

  it('serves psql through a connection imported from a secretless.yml', async () => {
    const listen = await freePort();
    const secretless = `version: 2
services:
  imported-pg:
    connector: pg
    listenOn: tcp://0.0.0.0:${listen}
    credentials:
      host: ${sandbox.postgres.host}
      port: ${sandbox.postgres.port}
      sslmode: disable
      username:
        from: vault
        get: secret/data/sandbox/postgres#data.username
      password:
        from: vault
        get: secret/data/sandbox/postgres#data.password
`;
    const imported = importSecretless(secretless, path.join(sandbox.dir, 'secretless.yml'), {
      vaultAddress: sandbox.vaultAddr,
    });
    const configPath = path.join(sandbox.dir, 'imported.yaml');
    await writeFile(
      configPath,
      imported.text.replace(
        'auth:\n    method: token',
        `auth:\n    method: token\n    tokenFile: ${sandbox.dir}/vault-token`,
      ),
    );
    const importedHost = await createAppHost({
      configPath,
      platform: recordingPlatform(),
      mode: 'browser',
      log: silentLogger,
    });
    try {
      const view = await importedHost.call('connections.setEnabled', { name: 'imported-pg', enabled: true });
      expect(view).toMatchObject({
        state: 'ready',
        listen: `127.0.0.1:${listen}`,
        credentialPath: 'secret/sandbox/postgres',
      });
      const result = await psql(view.listen, 'select current_user');
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(sandbox.postgresAppUser);
    } finally {
      await importedHost.close();
    }
  });

  it('never puts a secret value into an event', () => {
    const text = JSON.stringify(events);
    expect(text).not.toContain(sandbox.rootToken);
    expect(text).not.toContain('not-the-password');
    expect(text).not.toContain(appPassword);
    expect(text).not.toContain(mysqlPassword);
    const calls = JSON.stringify(platform.calls);
    for (const secret of [appPassword, mysqlPassword, sandbox.rootToken]) expect(calls).not.toContain(secret);
  });
});
