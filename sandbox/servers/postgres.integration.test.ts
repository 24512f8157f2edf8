import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from './pids';
import { isPortOpen } from './ports';
import { startPostgres, type PostgresServer } from './postgres';
import { createTempDir, removeTempDir, ServerStartError } from './process';

const run = promisify(execFile);

async function query(options: pg.ClientConfig, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client(options);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function adminConfig(server: PostgresServer, extra: pg.ClientConfig = {}): pg.ClientConfig {
  return {
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: server.database,
    ...extra,
  };
}

describe('startPostgres (scram-sha-256, no TLS)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('accepts the admin password over TCP and is set up for many connections', async () => {
    const rows = await query(
      adminConfig(server),
      "select current_user as who, current_setting('max_connections') as max",
    );
    expect(rows).toEqual([{ who: 'admin', max: '300' }]);
  });

  it('refuses a wrong password', async () => {
    await expect(query(adminConfig(server, { password: 'not-the-password' }), 'select 1')).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it('stores the admin password as SCRAM', async () => {
    const rows = await query(
      adminConfig(server),
      "select rolpassword like 'SCRAM-SHA-256$%' as scram from pg_authid where rolname = 'admin'",
    );
    expect(rows).toEqual([{ scram: true }]);
  });

  it('works with the psql CLI over TCP and over the socket using env()', async () => {
    const env = { ...process.env, ...server.env() };
    const tcp = await run('psql', ['-Atc', 'select inet_server_addr()'], { env });
    expect(tcp.stdout.trim()).toBe('127.0.0.1');
    const socket = await run('psql', ['-Atc', "select coalesce(inet_server_addr()::text, 'socket')"], {
      env: { ...env, PGHOST: server.socketDir },
    });
    expect(socket.stdout.trim()).toBe('socket');
  });
});

describe('startPostgres with TLS', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres({ tls: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves TLS that verifies against its CA for 127.0.0.1 and localhost', async () => {
    const ca = fs.readFileSync(server.tls!.caFile, 'utf8');
    for (const host of ['127.0.0.1', 'localhost']) {
      const rows = await query(
        adminConfig(server, { host, ssl: { ca, rejectUnauthorized: true } }),
        'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
      );
      expect(rows).toEqual([{ ssl: true }]);
    }
  });

  it('is refused by a client that does not trust the CA', async () => {
    await expect(query(adminConfig(server, { ssl: { rejectUnauthorized: true } }), 'select 1')).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });

  it('lets psql connect with verify-full from env()', async () => {
    const env = { ...process.env, ...server.env() };
    expect(env.PGSSLMODE).toBe('verify-full');
    const { stdout } = await run('psql', ['-Atc', 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'], { env });
    expect(stdout.trim()).toBe('t');
  });
});

describe('startPostgres with md5 and password auth', () => {
  it('really uses md5: password stored as md5 and accepted', async () => {
    const server = await startPostgres({ authMethod: 'md5' });
    try {
      const rows = await query(
        adminConfig(server),
        "select rolpassword like 'md5%' as md5, current_setting('password_encryption') as enc from pg_authid where rolname = 'admin'",
      );
      expect(rows).toEqual([{ md5: true, enc: 'md5' }]);
      const { stdout } = await run('psql', ['-Atc', 'select 1'], {
        env: { ...process.env, ...server.env(), PGHOST: server.socketDir },
      });
      expect(stdout.trim()).toBe('1');
    } finally {
      await server.stop();
    }
  });

  it('accepts a cleartext password exchange in password mode', async () => {
    const server = await startPostgres({ authMethod: 'password' });
    try {
      expect(await query(adminConfig(server), 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await server.stop();
    }
  });
});

describe('startPostgres lifecycle', () => {
  it('stop() shuts the server down, closes the port and removes its files', async () => {
    const server = await startPostgres();
    expect(await isPortOpen(server.port)).toBe(true);
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(await isPortOpen(server.port)).toBe(false);
    expect(fs.existsSync(server.dataDir)).toBe(false);
    expect(fs.existsSync(server.socketDir)).toBe(false);
    await server.stop(); // idempotent
  });

  it('rejects an unknown auth method', async () => {
    await expect(startPostgres({ authMethod: 'trust' as never })).rejects.toThrow(/authMethod must be one of/);
  });

  it('a failed start names its kept log, shows its tail and never the admin password', async () => {
    // Stand-in binaries: initdb prints the password file it was given, then fails.
    const binDir = createTempDir('pg-fake-bin');
    fs.chmodSync(binDir, 0o755);
    let keptLog: string | undefined;
    try {
      const script =
        '#!/bin/sh\nfor a in "$@"; do case "$a" in --pwfile=*) echo "password is $(cat "${a#--pwfile=}")";; esac; done\necho "initdb: error: the disk is made of cheese" >&2\nexit 1\n';
      fs.writeFileSync(path.join(binDir, 'initdb'), script, { mode: 0o755 });
      fs.writeFileSync(path.join(binDir, 'postgres'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      const error = await startPostgres({ binDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerStartError);
      const { message, logFile } = error as ServerStartError;
      keptLog = logFile;
      expect(message).toContain('the disk is made of cheese');
      expect(message).toContain('password is [redacted]');
      expect(logFile).toBeDefined();
      expect(message).toContain(logFile!);
      expect(fs.readFileSync(logFile!, 'utf8')).toContain('the disk is made of cheese');
      expect(fs.readdirSync(path.dirname(logFile!))).toEqual([path.basename(logFile!)]);
    } finally {
      if (keptLog) removeTempDir(path.dirname(keptLog));
      removeTempDir(binDir);
    }
  });
});
