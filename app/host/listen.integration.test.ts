// A connection's local port is fixed, editable and kept: connections.setListen moves a running
// connection (psql follows it), writes the file in place (comments kept), survives a restart,
// and refuses busy ports, other connections' addresses and non-loopback hosts — changing nothing.
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort } from '../../sandbox/servers';
import { createAppHost, type AppHost } from '.';
import { postgresConnection, psql, recordingPlatform, writeTestConfig } from './testing';

describe('connections.setListen', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let configPath: string;
  let busy: net.Server;
  let busyPort: number;
  const opened: AppHost[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    const pg = { host: sandbox.postgres.host, port: sandbox.postgres.port };
    configPath = path.join(sandbox.dir, 'listen-test.yaml');
    await writeTestConfig(configPath, sandbox, [
      postgresConnection('orders', await freePort(), pg, 'sandbox/postgres'),
      postgresConnection('reports', await freePort(), pg, 'sandbox/postgres'),
    ]);
    busy = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });
    opened.push(host);
  });

  afterAll(async () => {
    for (const h of opened) await h.close();
    await new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve()));
    await sandbox?.stop();
  });

  it('moves a running connection: psql reaches the new port, the old one is closed, the file keeps its comment', async () => {
    const before = await host.call('connections.setEnabled', { name: 'orders', enabled: true });
    expect(before.state).toBe('ready');
    const port = await freePort();
    const moved = await host.call('connections.setListen', { name: 'orders', listen: `127.0.0.1:${port}` });
    expect(moved).toMatchObject({ state: 'ready', listen: `127.0.0.1:${port}` });
    expect((await psql(moved.listen, 'select current_user')).stdout).toBe(sandbox.postgresAppUser);
    expect((await psql(before.listen, 'select 1')).stderr).toMatch(/Connection refused/);
    const text = await readFile(configPath, 'utf8');
    expect(text).toMatch(/^# Written by a Sesame test\./);
    expect(text).toContain(`listen: 127.0.0.1:${port}`);
    expect(await readFile(`${configPath}.bak`, 'utf8')).toContain(`listen: ${before.listen}`);
    const activity = await host.call('activity.list', {});
    expect(
      activity.some((a) =>
        a.message.startsWith(`orders moved from ${before.listen} to 127.0.0.1:${port}: 1 restarted (orders)`),
      ),
    ).toBe(true);
  });

  it('keeps the port across restarts', async () => {
    const current = (await host.call('connections.list', {})).find((c) => c.name === 'orders')!;
    const second = await createAppHost({
      configPath,
      platform: recordingPlatform(),
      mode: 'browser',
      log: silentLogger,
    });
    opened.push(second);
    expect((await second.call('connections.list', {})).find((c) => c.name === 'orders')?.listen).toBe(current.listen);
    await second.close();
  });

  it('moves a connection that is off without starting it', async () => {
    const port = await freePort();
    const moved = await host.call('connections.setListen', { name: 'reports', listen: `127.0.0.1:${port}` });
    expect(moved).toMatchObject({ state: 'off', listen: `127.0.0.1:${port}` });
  });

  it.each([
    [
      'a port another program holds',
      () => `127.0.0.1:${busyPort}`,
      'conflict',
      /already in use by another program; choose another address \(nothing was changed\)/,
    ],
    [
      'the address of another connection',
      async () => (await host.call('connections.list', {})).find((c) => c.name === 'reports')!.listen,
      'conflict',
      /already the address of 'reports'/,
    ],
    ['an address other machines can reach', () => '0.0.0.0:15999', 'invalid-input', /not a loopback address/],
    ['port 0', () => '127.0.0.1:0', 'invalid-input', /fixed port/],
  ])('refuses %s and changes nothing', async (_what, listen, code, message) => {
    const fileBefore = await readFile(configPath, 'utf8');
    const listBefore = await host.call('connections.list', {});
    const error = await host
      .call('connections.setListen', { name: 'orders', listen: await listen() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code, field: 'listen', message: expect.stringMatching(message) });
    expect(await readFile(configPath, 'utf8')).toBe(fileBefore);
    expect((await host.call('connections.list', {})).map((c) => [c.name, c.state, c.listen])).toEqual(
      listBefore.map((c) => [c.name, c.state, c.listen]),
    );
    const orders = listBefore.find((c) => c.name === 'orders')!;
    expect((await psql(orders.listen, 'select 1')).stdout).toBe('1');
  });
});
