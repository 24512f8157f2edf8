import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDbServer } from './mariadb';
import { isAlive } from './pids';
import { isPortOpen } from './ports';

async function query(options: mysql.ConnectionOptions, sql: string): Promise<unknown[]> {
  const connection = await mysql.createConnection(options);
  try {
    const [rows] = await connection.query(sql);
    return rows as unknown[];
  } finally {
    await connection.end();
  }
}

function rootOverTcp(server: MariaDbServer, extra: mysql.ConnectionOptions = {}): mysql.ConnectionOptions {
  return { host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, ...extra };
}

describe('startMariaDb', () => {
  let server: MariaDbServer;
  beforeAll(async () => {
    server = await startMariaDb();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets root in with the random password over TCP, set up for many connections', async () => {
    const rows = await query(rootOverTcp(server), 'SELECT CURRENT_USER() AS who, @@max_connections AS max');
    expect(rows).toEqual([{ who: 'root@127.0.0.1', max: 300 }]);
  });

  it('lets root in with the password over the unix socket', async () => {
    const rows = await query(
      { socketPath: server.socket, user: 'root', password: server.adminPassword },
      'SELECT CURRENT_USER() AS who',
    );
    expect(rows).toEqual([{ who: 'root@localhost' }]);
  });

  it('refuses root without the password', async () => {
    await expect(query(rootOverTcp(server, { password: '' }), 'SELECT 1')).rejects.toThrow(/Access denied/);
    await expect(query({ socketPath: server.socket, user: 'root' }, 'SELECT 1')).rejects.toThrow(/Access denied/);
  });

  it('lets root create users and grant to them (what Vault does)', async () => {
    const connection = await mysql.createConnection(rootOverTcp(server));
    try {
      await connection.query("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'");
      await connection.query("GRANT SELECT ON *.* TO 'app'@'%'");
    } finally {
      await connection.end();
    }
    const rows = await query(
      { host: server.host, port: server.port, user: 'app', password: 'app-pw' },
      'SELECT CURRENT_USER() AS who',
    );
    expect(rows).toEqual([{ who: 'app@%' }]);
  });
});

describe('startMariaDb with TLS', () => {
  it('serves TLS that verifies against its CA', async () => {
    const server = await startMariaDb({ tls: true });
    try {
      const ssl = { ca: fs.readFileSync(server.tls!.caFile, 'utf8'), rejectUnauthorized: true };
      const rows = (await query(rootOverTcp(server, { ssl }), "SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as {
        Value: string;
      }[];
      expect(rows[0]?.Value).not.toBe('');
      await expect(query(rootOverTcp(server, { ssl: { rejectUnauthorized: true } }), 'SELECT 1')).rejects.toThrow(
        /self[- ]signed|unable to verify|certificate/i,
      );
    } finally {
      await server.stop();
    }
  });
});

describe('MariaDbServer.stop', () => {
  it('shuts mariadbd down, closes the port and removes its files', async () => {
    const server = await startMariaDb();
    expect(await isPortOpen(server.port)).toBe(true);
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(await isPortOpen(server.port)).toBe(false);
    expect(fs.existsSync(path.dirname(server.socket))).toBe(false);
    await server.stop(); // idempotent
  });
});
