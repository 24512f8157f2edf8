// crash() and restart() on every server: the crash closes the port and kills the process (and,
// for sshd, its open sessions); the restart comes back on the same port with the same data, host
// key and password, and stop() still removes everything.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startMariaDb } from './mariadb';
import { isAlive } from './pids';
import { isPortOpen } from './ports';
import { startPostgres } from './postgres';
import { createTempDir, removeTempDir } from './process';
import { createSshKeyPair, startSshd } from './sshd';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeTempDir));

/** Crashes `server`: its process is gone and the port closed; restarted: a new process on that port. */
async function crashAndRestart(
  server: { readonly pid: number; readonly port: number; crash(): Promise<void>; restart(): Promise<void> },
  whileDown = async () => {},
) {
  const firstPid = server.pid;
  await server.crash();
  expect(isAlive(firstPid)).toBe(false);
  expect(await isPortOpen(server.port)).toBe(false);
  await whileDown();
  await server.restart();
  expect(server.pid).not.toBe(firstPid);
  expect(await isPortOpen(server.port)).toBe(true);
}

describe('crash() and restart()', () => {
  it('PostgreSQL comes back on the same port with its data after a crash', async () => {
    const server = await startPostgres();
    try {
      const run = async (sql: string) => {
        const client = new pg.Client({
          host: server.host,
          port: server.port,
          user: server.adminUser,
          password: server.adminPassword,
          database: 'postgres',
        });
        await client.connect();
        try {
          return (await client.query(sql)).rows;
        } finally {
          await client.end();
        }
      };
      await run("create table kept as select 'before the crash' as note");
      await run('checkpoint'); // fsync is off: make the table's files durable before the kill
      await crashAndRestart(server);
      expect(await run('select note from kept')).toEqual([{ note: 'before the crash' }]);
    } finally {
      await server.stop();
    }
    expect(fs.existsSync(server.dataDir)).toBe(false);
  });

  it('MariaDB comes back on the same port with its users after a crash', async () => {
    const server = await startMariaDb();
    try {
      const connect = (user: string, password: string) =>
        mysql.createConnection({ host: server.host, port: server.port, user, password });
      const admin = await connect(server.adminUser, server.adminPassword);
      await admin.query("CREATE USER 'kept'@'%' IDENTIFIED BY 'kept-pw'");
      await admin.end();
      await crashAndRestart(server);
      const kept = await connect('kept', 'kept-pw');
      expect((await kept.query('SELECT CURRENT_USER() AS who'))[0]).toEqual([{ who: 'kept@%' }]);
      await kept.end();
    } finally {
      await server.stop();
    }
    expect(fs.existsSync(server.dataDir)).toBe(false);
  });

  it('sshd: a crash ends the open session too; the restart listens on the same port with the same host key', async () => {
    const dir = createTempDir('sshd-restart-test');
    dirs.push(dir);
    const key = await createSshKeyPair(dir, { name: 'user' });
    const server = await startSshd({ authorizedKeys: [key.publicKey] });
    const knownHosts = `${dir}/known_hosts`;
    fs.writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
    const ssh = (command: string) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        const args = [
          '-F',
          '/dev/null',
          '-i',
          key.privateKeyFile,
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          `UserKnownHostsFile=${knownHosts}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          '-o',
          'ConnectTimeout=10',
        ];
        execFile(
          'ssh',
          [...args, '-p', String(server.port), `${server.user}@127.0.0.1`, command],
          { timeout: 30_000 },
          (error, stdout) => {
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) || 1 : 0, stdout });
          },
        );
      });
    try {
      const held = ssh('echo started; sleep 60');
      await expect
        .poll(() => fs.readFileSync(server.logFile, 'utf8').includes('Accepted publickey'), { timeout: 15_000 })
        .toBe(true);
      await crashAndRestart(server, async () => {
        expect((await held).code).not.toBe(0); // the session's sshd died with the listener
      });
      expect(await ssh('echo back')).toEqual({ code: 0, stdout: 'back\n' });
    } finally {
      await server.stop();
    }
    expect(fs.existsSync(server.configFile)).toBe(false);
  });
});
