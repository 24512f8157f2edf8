// Reloading the config in a running host: a live PostgreSQL session on a connection whose
// settings did not change keeps working, a changed connection restarts on its new address,
// added and removed connections come and go with events, an invalid file changes nothing and
// shows up as an activity error, and Vault settings wait for a restart.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort } from '../../sandbox/servers';
import type { AppEvent } from '../api';
import { loadConfig } from '../config';
import { createAppHost, diffConnections, type AppHost } from '.';
import { postgresConnection, psql, recordingPlatform, writeTestConfig } from './testing';

describe('diffing connections', () => {
  const a = {
    name: 'a',
    protocol: 'postgres',
    listen: '127.0.0.1:1',
    autoStart: false,
    target: { host: 'h', port: 5432, sslmode: 'prefer' },
    credentials: { from: 'literal', values: { x: 'y' } },
  } as const;
  it('compares full settings whatever the key order', () => {
    const reordered = {
      credentials: a.credentials,
      target: { sslmode: 'prefer', port: 5432, host: 'h' },
      autoStart: false,
      listen: a.listen,
      protocol: a.protocol,
      name: 'a',
    } as const;
    expect(diffConnections([a], [reordered])).toEqual({ added: [], removed: [], changed: [], unchanged: ['a'] });
    const moved = { ...a, credentials: { from: 'literal', values: { x: 'z' } } } as const;
    expect(diffConnections([a], [moved]).changed.map((c) => c.name)).toEqual(['a']);
    expect(diffConnections([a], [{ ...a, name: 'b' }])).toMatchObject({ added: [{ name: 'b' }], removed: ['a'] });
  });
});

describe('reloading a running host', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let configPath: string;
  const events: AppEvent[] = [];
  const clients: pg.Client[] = [];
  const pgTarget = () => ({ host: sandbox.postgres.host, port: sandbox.postgres.port });
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    sandbox = await startSandbox();
    configPath = path.join(sandbox.dir, 'reload-test.yaml');
    for (const name of ['steady', 'moving', 'leaving', 'arriving']) ports[name] = await freePort();
    await writeTestConfig(configPath, sandbox, [
      postgresConnection('steady', ports.steady!, pgTarget(), 'sandbox/postgres', { autoStart: true }),
      postgresConnection('moving', ports.moving!, pgTarget(), 'sandbox/postgres', { autoStart: true }),
      postgresConnection('leaving', ports.leaving!, pgTarget(), 'sandbox/postgres'),
    ]);
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });
    host.subscribe((e) => events.push(e));
  });

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => {});
    await host?.close();
    await sandbox?.stop();
  });

  async function connect(listen: string): Promise<pg.Client> {
    const [host_, port] = [listen.split(':')[0]!, Number(listen.split(':')[1])];
    const client = new pg.Client({ host: host_, port, user: 'anyone', database: 'sandbox', password: '' });
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  }

  it('keeps a live session on an unchanged connection while a changed one moves', async () => {
    const [steady, moving] = await host.call('connections.list', {});
    expect([steady?.state, moving?.state]).toEqual(['ready', 'ready']);
    const held = await connect(steady!.listen);
    const doomed = await connect(moving!.listen);
    await held.query('create temporary table during_reload (n int)');
    await held.query('insert into during_reload values (1)');

    const newPort = await freePort();
    ports.moving = newPort;
    const config = await loadConfig(configPath);
    const result = await host.reload({
      ...config,
      connections: config.connections.map((c) => (c.name === 'moving' ? { ...c, listen: `127.0.0.1:${newPort}` } : c)),
    });
    expect(result).toEqual({
      added: [],
      removed: [],
      changed: ['moving'],
      unchanged: ['steady', 'leaving'],
      restartNeeded: [],
    });

    // The same backend session: its temporary table is still there.
    expect((await held.query('select n from during_reload')).rows).toEqual([{ n: 1 }]);
    await expect(doomed.query('select 1')).rejects.toThrow();
    const after = (await host.call('connections.list', {})).find((c) => c.name === 'moving')!;
    expect(after).toMatchObject({ state: 'ready', listen: `127.0.0.1:${newPort}` });
    expect((await psql(after.listen, 'select current_user')).stdout).toBe(sandbox.postgresAppUser);
    expect((await psql(moving!.listen, 'select 1')).stderr).toMatch(/Connection refused/);
  });

  it('applies the file: a removed connection goes with an event, an added autoStart one starts', async () => {
    const addedPort = ports.arriving!;
    await writeTestConfig(configPath, sandbox, [
      postgresConnection('steady', ports.steady!, pgTarget(), 'sandbox/postgres', { autoStart: true }),
      postgresConnection('moving', ports.moving!, pgTarget(), 'sandbox/postgres', { autoStart: true }),
      postgresConnection('arriving', addedPort, pgTarget(), 'sandbox/postgres', { autoStart: true }),
    ]);
    const result = await host.reloadFromFile();
    expect(result).toEqual({
      added: ['arriving'],
      removed: ['leaving'],
      changed: [],
      unchanged: ['steady', 'moving'],
      restartNeeded: [],
    });
    expect(events.some((e) => e.event === 'connection.removed' && e.payload.name === 'leaving')).toBe(true);
    const list = await host.call('connections.list', {});
    expect(list.map((c) => [c.name, c.state])).toEqual([
      ['steady', 'ready'],
      ['moving', 'ready'],
      ['arriving', 'ready'],
    ]);
    expect((await psql(`127.0.0.1:${addedPort}`, 'select 1')).stdout).toBe('1');
  });

  it('keeps the running config when the file is invalid, and says why in the activity log', async () => {
    const good = await readFile(configPath, 'utf8');
    await writeFile(configPath, good.replace('protocol: postgres', 'protocol: postgress'));
    const before = await host.call('connections.list', {});
    const error = await host.call('config.reload', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(
        /reload-test\.yaml:\d+:\d+: connections\[0\]\.protocol: expected one of 'postgres'/,
      ),
    });
    const entry = (await host.call('activity.list', {})).at(-1);
    expect(entry).toMatchObject({
      level: 'error',
      kind: 'config-invalid',
      message: expect.stringMatching(/The running config stays until the file is fixed/),
    });
    expect((await host.call('connections.list', {})).map((c) => [c.name, c.state, c.listen])).toEqual(
      before.map((c) => [c.name, c.state, c.listen]),
    );
    expect((await psql(before[0]!.listen, 'select 1')).stdout).toBe('1');
    await writeFile(configPath, good);
  });

  it('reports Vault settings as needing a restart, and keeps using the running ones', async () => {
    const config = await loadConfig(configPath);
    const result = await host.reload({ ...config, vault: { ...config.vault, address: 'http://127.0.0.1:1' } });
    expect(result.restartNeeded).toEqual(['vault']);
    expect(result.changed).toEqual([]);
    expect(host.currentConfig().vault.address).toBe(sandbox.vaultAddr);
    expect((await host.call('activity.list', {})).at(-1)).toMatchObject({ level: 'warn', kind: 'restart-needed' });
  });
});

describe('watching the config file (every mode: the shells ask for it)', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let configPath: string;
  const events: AppEvent[] = [];
  const pgTarget = () => ({ host: sandbox.postgres.host, port: sandbox.postgres.port });
  let ports: number[];

  beforeAll(async () => {
    sandbox = await startSandbox();
    configPath = path.join(sandbox.dir, 'watched.yaml');
    ports = [await freePort(), await freePort()];
    await writeTestConfig(configPath, sandbox, [
      postgresConnection('first', ports[0]!, pgTarget(), 'sandbox/postgres', { autoStart: true }),
    ]);
    host = await createAppHost({
      configPath,
      platform: recordingPlatform(),
      mode: 'browser',
      log: silentLogger,
      watchConfig: true,
    });
    host.subscribe((e) => events.push(e));
  });
  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  const names = async () => (await host.call('connections.list', {})).map((c) => `${c.name}:${c.state}`);
  const fileStatus = async () => (await host.call('settings.get', {})).configFile;
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`gave up waiting: ${what}`);
  };

  it('applies a hand edit when it is saved, with no Reload', async () => {
    expect(await fileStatus()).toEqual({ watched: true });
    await writeTestConfig(configPath, sandbox, [
      postgresConnection('first', ports[0]!, pgTarget(), 'sandbox/postgres', { autoStart: true }),
      postgresConnection('second', ports[1]!, pgTarget(), 'sandbox/postgres', { autoStart: true }),
    ]);
    await until(async () => (await names()).includes('second:ready'), 'the added connection');
    expect((await psql(`127.0.0.1:${ports[1]}`, 'select current_user')).stdout).toBe(sandbox.postgresAppUser);
    expect(events.some((e) => e.event === 'config.file')).toBe(true);
  });

  it('a broken save is reported once and the running config stays; the fix clears it', async () => {
    const good = await readFile(configPath, 'utf8');
    const activityBefore = (await host.call('activity.list', {})).length;
    const broken = good.replace(`127.0.0.1:${ports[1]}`, 'nowhere');
    // An editor that saves twice (write, then write again): the same problem is said once.
    await writeFile(configPath, broken);
    await until(async () => (await fileStatus()).problem !== undefined, 'the problem');
    await writeFile(configPath, `${broken}\n`);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const status = await fileStatus();
    expect(status.problem).toMatch(/watched\.yaml:\d+:\d+: connections\[1\]\.listen/);
    expect(status.problem).toMatch(/The running config stays until the file is fixed/);
    const invalid = (await host.call('activity.list', {}))
      .slice(activityBefore)
      .filter((a) => a.kind === 'config-invalid');
    expect(invalid).toHaveLength(1);
    expect(await names()).toEqual(['first:ready', 'second:ready']);

    await writeFile(configPath, good);
    await until(async () => (await fileStatus()).problem === undefined, 'the problem to clear');
    const said = (await host.call('activity.list', {})).at(-1)!;
    expect(said).toMatchObject({ kind: 'config-fixed', message: 'the config file is valid again; nothing changed' });
  });

  it("Sesame's own save (Settings) is not announced again as a file change", async () => {
    const before = (await host.call('activity.list', {})).length;
    await host.call('settings.update', { gui: { connection: 'first', gui: 'dbeaver' } });
    await new Promise((resolve) => setTimeout(resolve, 800)); // past the watcher's debounce
    const added = (await host.call('activity.list', {})).slice(before).map((a) => a.message);
    expect(added).toEqual([
      expect.stringMatching(/^"Open in …" for first changed/),
      expect.stringMatching(/^"Open in GUI" for first now starts DBeaver/),
    ]);
  });
});
