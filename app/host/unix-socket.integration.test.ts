// A postgres connection on a unix socket named the way libpq looks for it
// (`DIR/.s.PGSQL.PORT`), so `psql -h DIR -p PORT` works with no TCP port at all.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { createAppHost, type AppHost } from '.';
import { postgresConnection, recordingPlatform, run, writeTestConfig } from './testing';

describe('postgres over a unix socket', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let socketDir: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    socketDir = path.join(sandbox.dir, 'sockets');
    const configPath = path.join(sandbox.dir, 'unix.yaml');
    await writeTestConfig(configPath, sandbox, [
      {
        ...postgresConnection('local', 0, sandbox.postgres, 'sandbox/postgres'),
        listen: `unix:${socketDir}/.s.PGSQL.6543`,
      },
    ]);
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });
  });
  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  it('serves psql -h DIR -p PORT through a 0600 socket in a 0700 directory', async () => {
    const view = await host.call('connections.setEnabled', { name: 'local', enabled: true });
    expect(view).toMatchObject({ state: 'ready', listen: `unix:${socketDir}/.s.PGSQL.6543` });
    expect(view.connectionString).toBe(`postgresql:///sandbox?host=${encodeURIComponent(socketDir)}&port=6543`);
    expect((await stat(`${socketDir}/.s.PGSQL.6543`)).mode & 0o777).toBe(0o600);
    expect((await stat(socketDir)).mode & 0o777).toBe(0o700);
    const result = await run('psql', [
      '-h',
      socketDir,
      '-p',
      '6543',
      '-d',
      'sandbox',
      '-w',
      '-At',
      '-c',
      'select current_user',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(sandbox.postgresAppUser);
    const viaString = await run('psql', [view.connectionString!, '-w', '-At', '-c', 'select 1']);
    expect(viaString.stdout).toBe('1');
  });
});
