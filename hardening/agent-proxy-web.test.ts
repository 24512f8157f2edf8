// Issue 17, item 3: any web page could spend the developer's session through the caching proxy
// with simple GETs — `<img>` and other no-cors requests carry no Origin header. Three `<img>`
// tags on a page of another 127.0.0.1 origin, opened in real Chromium, must not mint three
// database users. The vault CLI and the SDKs still get in: they send `X-Vault-Request: true`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultSession } from '../broker/vault-session';
import { createLogger } from '../broker/log';
import { startAgentProxy, type AgentProxy } from '../broker/proxy';
import { createVaultClient } from '../broker/vault';
import { seedDatabase, VaultSeeder } from '../sandbox/seed';
import { startPostgres, type PostgresServer } from '../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';

const log = createLogger('hardening', () => {}, 'error');

describe('the caching proxy against web pages', () => {
  let vault: VaultDevServer;
  let postgres: PostgresServer;
  let proxy: AgentProxy;
  let browser: Browser;
  let page: http.Server;
  let session: ReturnType<typeof createVaultSession>;

  beforeAll(async () => {
    [vault, postgres] = await Promise.all([startVaultDev(), startPostgres()]);
    const seeder = new VaultSeeder(vault.address, vault.rootToken);
    await seeder.write('sys/mounts/database', { type: 'database' });
    await seedDatabase(seeder, {
      plugin: 'postgresql-database-plugin',
      name: 'web',
      connectionUrl: `postgresql://{{username}}:{{password}}@127.0.0.1:${postgres.port}/postgres`,
      username: postgres.adminUser,
      password: postgres.adminPassword,
      role: 'web-role',
      creation: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
      revocation: [`DROP ROLE IF EXISTS "{{name}}";`],
    });
    session = createVaultSession(createVaultClient({ address: vault.address }), log);
    await session.login({ method: 'token', token: vault.rootToken });
    proxy = await startAgentProxy({ vaultAddress: vault.address, listen: '127.0.0.1:0', session, log });
    // Any web site the developer visits; here one on another loopback port.
    const creds = `${proxy.address}/v1/database/creds/web-role`;
    page = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><title>news</title><p>today's news</p>${[1, 2, 3].map((n) => `<img src="${creds}?n=${n}">`).join('')}`,
      );
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    page?.close();
    await proxy?.close();
    session?.close();
    await postgres?.stop();
    await vault?.stop();
  });

  async function databaseUsers(): Promise<string[]> {
    const admin = new pg.Client({
      host: '127.0.0.1',
      port: postgres.port,
      user: postgres.adminUser,
      password: postgres.adminPassword,
      database: 'postgres',
    });
    await admin.connect();
    try {
      return (
        await admin.query<{ rolname: string }>("select rolname from pg_roles where rolname like 'v-%' order by 1")
      ).rows.map((r) => r.rolname);
    } finally {
      await admin.end();
    }
  }

  it('three <img> tags on another origin mint no database user', async () => {
    const before = await databaseUsers();
    const tab = await (await browser.newContext()).newPage();
    const sent: string[] = [];
    tab.on('request', (request) => {
      if (request.url().includes('/v1/database/creds/')) sent.push(request.url());
    });
    await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`, { waitUntil: 'networkidle' });
    // The browser did send all three (it hides the answers from the page, but the proxy acted on them).
    expect(sent).toHaveLength(3);
    expect(await databaseUsers(), 'Vault minted database users for a web page').toEqual(before);
  });

  it('a tool that says it is a Vault client still gets its credentials; one that does not is told how', async () => {
    const before = await databaseUsers();
    const cli = await fetch(`${proxy.address}/v1/database/creds/web-role`, { headers: { 'X-Vault-Request': 'true' } });
    expect(cli.status).toBe(200);
    expect((await databaseUsers()).length).toBe(before.length + 1);
    const bare = await fetch(`${proxy.address}/v1/database/creds/web-role`);
    expect(bare.status).toBe(412);
    expect(((await bare.json()) as { errors: string[] }).errors[0]).toMatch(/X-Vault-Request: true/);
    expect((await databaseUsers()).length).toBe(before.length + 1);
  });
});
