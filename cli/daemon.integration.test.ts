// `sesame daemon` as a real child process against the sandbox: health endpoints, a live
// PostgreSQL session on an unchanged connection that survives a config change moving another
// connection, an invalid edit that is logged while the old config keeps serving, SIGHUP, and
// a clean stop on SIGTERM — with JSON logs that carry no secret.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvPut, postgresConnection, psql, writeTestConfig } from '../app/host/testing';
import { startSandbox, type Sandbox } from '../sandbox';
import { freePort } from '../sandbox/servers';
import { projectRoot } from './lifecycle';

interface LogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

describe('sesame daemon', () => {
  let sandbox: Sandbox;
  let daemon: ChildProcess | undefined;
  let configPath: string;
  let health: string;
  let exit: Promise<number | null>;
  const stderr: string[] = [];
  const ports: Record<string, number> = {};
  const held: pg.Client[] = [];
  const pgTarget = () => ({ host: sandbox.postgres.host, port: sandbox.postgres.port });
  const logLines = (): LogLine[] =>
    stderr
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);

  const writeConfig = (movingPort: number, extra: (text: string) => string = (t) => t) =>
    writeTestConfig(configPath, sandbox, [
      postgresConnection('steady', ports.steady!, pgTarget(), 'sandbox/postgres'),
      postgresConnection('moving', movingPort, pgTarget(), 'sandbox/postgres'),
    ]).then(async () => writeFile(configPath, extra(await readFile(configPath, 'utf8'))));

  async function ready(): Promise<{
    status: number;
    body: { status: string; connections: { name: string; listen: string; state: string }[] };
  }> {
    const res = await fetch(`http://${health}/ready`);
    return { status: res.status, body: (await res.json()) as never };
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
    await kvPut(sandbox, 'unused', { note: 'present so the KV mount is warm' });
    configPath = path.join(sandbox.dir, 'daemon.yaml');
    for (const name of ['steady', 'moving', 'moved', 'health']) ports[name] = await freePort();
    health = `127.0.0.1:${ports.health}`;
    await writeConfig(ports.moving!);
    daemon = spawn(
      process.execPath,
      [path.join(projectRoot, 'bin', 'sesame.mjs'), 'daemon', '--config', configPath, '--health', health],
      {
        cwd: projectRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, SESAME_CONFIG: '' },
      },
    );
    daemon.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    exit = new Promise((resolve) => daemon!.once('exit', (code) => resolve(code)));
    // Wait until it answers ready, or fail with what it said if it exits first.
    for (let attempt = 0; ; attempt++) {
      if (
        (await ready()
          .then((r) => r.status)
          .catch(() => 0)) === 200
      )
        break;
      if (daemon.exitCode !== null || attempt > 300)
        throw new Error(`the daemon did not become ready:\n${stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  afterAll(async () => {
    for (const client of held) await client.end().catch(() => {});
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGKILL');
      await exit;
    }
    await sandbox?.stop();
  });

  it('answers /live and /ready with every connection ready, in JSON', async () => {
    const live = await fetch(`http://${health}/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'live', pid: daemon!.pid });
    const { body } = await ready();
    expect(body).toMatchObject({
      status: 'ready',
      ready: true,
      session: { state: 'authenticated', needed: true, ready: true },
      connections: [
        { name: 'steady', state: 'ready', listen: `127.0.0.1:${ports.steady}`, ready: true },
        { name: 'moving', state: 'ready', listen: `127.0.0.1:${ports.moving}`, ready: true },
      ],
    });
    expect((await fetch(`http://${health}/nope`)).status).toBe(404);
    expect((await fetch(`http://${health}/ready`, { method: 'POST' })).status).toBe(405);
  });

  it('keeps a live session on the unchanged connection while the changed one moves to its new port', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: ports.steady, user: 'anyone', database: 'sandbox' });
    client.on('error', () => {});
    held.push(client);
    await client.connect();
    await client.query('create temporary table kept (n int)');
    await client.query('insert into kept values (42)');
    const sleeping = client.query('select pg_sleep(1.5) as slept');

    await writeConfig(ports.moved!);
    await expect
      .poll(async () => (await ready()).body.connections.find((c) => c.name === 'moving'), {
        timeout: 30_000,
        interval: 200,
      })
      .toMatchObject({ state: 'ready', listen: `127.0.0.1:${ports.moved}` });

    expect((await sleeping).rows).toEqual([{ slept: '' }]);
    expect((await client.query('select n from kept')).rows).toEqual([{ n: 42 }]);
    expect((await psql(`127.0.0.1:${ports.moved}`, 'select current_user')).stdout).toBe(sandbox.postgresAppUser);
    expect((await psql(`127.0.0.1:${ports.moving}`, 'select 1')).stderr).toMatch(/Connection refused/);
    const applied = logLines().find((l) => l.message === 'config applied');
    expect(applied).toMatchObject({ level: 'info', changed: ['moving'], unchanged: ['steady'] });
  });

  it('logs an invalid edit and keeps serving the running config', async () => {
    const good = await readFile(configPath, 'utf8');
    await writeFile(configPath, good.replace(`listen: 127.0.0.1:${ports.moved}`, 'listen: nowhere'));
    await expect
      .poll(() => logLines().find((l) => l.level === 'error' && /config file is invalid/.test(l.message)), {
        timeout: 30_000,
        interval: 200,
      })
      .toMatchObject({
        problems: [
          { field: 'connections[1].listen', line: expect.any(Number), message: expect.stringMatching(/HOST:PORT/) },
        ],
      });
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.connections.map((c) => c.listen)).toEqual([`127.0.0.1:${ports.steady}`, `127.0.0.1:${ports.moved}`]);
    expect((await psql(`127.0.0.1:${ports.moved}`, 'select 1')).stdout).toBe('1');
    expect((await held[0]!.query('select n from kept')).rows).toEqual([{ n: 42 }]);
    await writeFile(configPath, good);
  });

  it('reloads on SIGHUP', async () => {
    daemon!.kill('SIGHUP');
    await expect
      .poll(() => logLines().some((l) => l.message === 'reloading the config (SIGHUP)'), {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(true);
    await expect
      .poll(() => logLines().filter((l) => l.message === 'config applied').length, { timeout: 30_000, interval: 200 })
      .toBeGreaterThanOrEqual(2);
    expect((await held[0]!.query('select n from kept')).rows).toEqual([{ n: 42 }]);
  });

  it('stops cleanly on SIGTERM: listeners and health closed, exit code 0, no secret in any log line', async () => {
    daemon!.kill('SIGTERM');
    expect(await exit).toBe(0);
    const lines = logLines();
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'stopped' });
    expect((await psql(`127.0.0.1:${ports.steady}`, 'select 1')).stderr).toMatch(/Connection refused/);
    await expect(fetch(`http://${health}/live`)).rejects.toThrow();
    const text = stderr.join('');
    expect(text).not.toContain(sandbox.rootToken);
    const secret = await fetch(`${sandbox.vaultAddr}/v1/secret/data/sandbox/postgres`, {
      headers: { 'X-Vault-Token': sandbox.rootToken },
    });
    const password = ((await secret.json()) as { data: { data: { password: string } } }).data.data.password;
    expect(text).not.toContain(password);
  });
});
