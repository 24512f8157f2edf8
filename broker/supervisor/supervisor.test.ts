// The supervisor with a tiny real connector (it greets with the credential's user name) over
// real TCP sockets: states, counters, error reasons and turning off.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector, CredentialFetcher } from '../connector';
import { CredentialError } from '../credentials';
import { silentLogger } from '../log';
import { createConnectionSupervisor, type ConnectionEvent, type ConnectionStatus, type SessionRecord } from '.';

const greeter: Connector = {
  async serve(client, ctx) {
    try {
      const credential = await ctx.credentials.get();
      const line = `hello ${credential.values.username}\n`;
      ctx.meter.toClient(line.length);
      client.end(line);
    } catch (error) {
      client.end(`error: ${(error as Error).message}\n`);
    }
    await new Promise((resolve) => client.once('close', resolve));
  },
};

const fixed = (values: Record<string, string>): CredentialFetcher => ({
  description: 'test',
  get: async () => ({ values, path: 'test' }),
});

function talk(listen: string): Promise<string> {
  const [host, port] = listen.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host);
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('connection supervisor', () => {
  const supervisor = createConnectionSupervisor(silentLogger);
  afterEach(() => supervisor.stopAll());

  it('goes off → starting → ready, serves clients with counters, and closes the port when off', async () => {
    const states: ConnectionStatus['state'][] = [];
    supervisor.onChange((s) => s.name === 'a' && states.push(s.state));
    supervisor.define({
      name: 'a',
      protocol: 'test',
      listen: '127.0.0.1:0',
      target: 'x:1',
      connector: greeter,
      credentials: fixed({ username: 'alice' }),
    });
    const status = await supervisor.start('a');
    expect(status.state).toBe('ready');
    expect(status.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await talk(status.listen)).toBe('hello alice\n');
    await expect.poll(() => supervisor.status('a').stats.sessionsServed).toBe(1);
    expect(supervisor.status('a').stats).toMatchObject({ activeClients: 0, bytesToClient: 12 });
    await supervisor.stop('a');
    expect(states).toEqual(expect.arrayContaining(['starting', 'ready', 'off']));
    await expect(talk(status.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('shows a credential problem as an error state, and recovers when the credential is fixed', async () => {
    const secret: { values?: Record<string, string> } = {};
    supervisor.define({
      name: 'b',
      protocol: 'test',
      listen: '127.0.0.1:0',
      target: 'x:1',
      connector: greeter,
      credentials: {
        description: 'test',
        get: async () => {
          if (!secret.values)
            throw new CredentialError('missing-field', "the Vault secret at secret/data/b has no 'password' field");
          return { values: secret.values, path: 'secret/data/b' };
        },
      },
    });
    const status = await supervisor.start('b');
    expect(status).toMatchObject({
      state: 'error',
      error: "the Vault secret at secret/data/b has no 'password' field",
    });
    expect(await talk(status.listen)).toBe("error: the Vault secret at secret/data/b has no 'password' field\n");
    secret.values = { username: 'bob' };
    expect(await talk(status.listen)).toBe('hello bob\n');
    expect(supervisor.status('b').state).toBe('ready');
  });

  it('reports a busy port as an error with the reason, never moving to another port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    supervisor.define({
      name: 'c',
      protocol: 'test',
      listen: `127.0.0.1:${port}`,
      target: 'x:1',
      connector: greeter,
      credentials: fixed({ username: 'c' }),
    });
    const status = await supervisor.start('c');
    expect(status).toMatchObject({
      state: 'error',
      listen: `127.0.0.1:${port}`,
      error: `127.0.0.1:${port} is already in use by another program`,
    });
    blocker.close();
  });

  it('ends active sessions when turned off', async () => {
    const hold: Connector = {
      serve: (client, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            client.destroy();
            resolve();
          });
        }),
    };
    supervisor.define({
      name: 'd',
      protocol: 'test',
      listen: '127.0.0.1:0',
      target: 'x:1',
      connector: hold,
      credentials: fixed({}),
    });
    const { listen } = await supervisor.start('d');
    const [host, port] = listen.split(':');
    const socket = net.connect(Number(port), host);
    await new Promise((r) => socket.once('connect', r));
    await expect.poll(() => supervisor.status('d').stats.activeClients).toBe(1);
    const closed = new Promise((r) => socket.once('close', r));
    await supervisor.stop('d');
    await closed;
    expect(supervisor.status('d').stats.activeClients).toBe(0);
  });

  it('refuses an unknown connection by name', async () => {
    await expect(supervisor.start('nope')).rejects.toThrow("there is no connection named 'nope'");
  });

  it('records each session once it ends: the process, times, bytes, credential path and lease, who closed', async () => {
    const records: SessionRecord[] = [];
    const events: ConnectionEvent[] = [];
    const recording = createConnectionSupervisor(silentLogger, { onSessionEnded: (r) => records.push(r) });
    recording.onEvent((e) => events.push(e));
    const waitsForClient: Connector = {
      async serve(client, ctx) {
        await ctx.credentials.get();
        client.on('data', (d: Buffer) => ctx.meter.toTarget(d.length));
        client.resume();
        await new Promise((resolve) => client.once('close', resolve));
      },
    };
    recording.define({
      name: 'e',
      protocol: 'test',
      listen: '127.0.0.1:0',
      target: 'x:1',
      credentialPath: 'secret/data/configured',
      connector: waitsForClient,
      credentials: {
        description: 'test',
        get: async () => ({
          values: { password: 'hunter2' },
          path: 'database/creds/e',
          leaseId: 'database/creds/e/L1',
        }),
      },
    });
    recording.define({
      name: 'f',
      protocol: 'test',
      listen: '127.0.0.1:0',
      target: 'x:1',
      connector: greeter,
      credentials: fixed({ username: 'f' }),
    });
    try {
      const [host, port] = (await recording.start('e')).listen.split(':');
      // The client is this very process: the peer lookup must name it.
      const socket = net.connect(Number(port), host);
      await new Promise((r) => socket.once('connect', r));
      const clientPort = socket.localPort;
      // (a client that leaves before the lookup answers stays 'unknown': wait for it)
      await expect.poll(() => events.some((e) => e.kind === 'client-connected')).toBe(true);
      socket.end('four');
      await expect.poll(() => records.length).toBe(1);
      expect(records[0]).toMatchObject({
        connection: 'e',
        protocol: 'test',
        client: `127.0.0.1:${clientPort}`,
        process: { pid: process.pid },
        bytesToTarget: 4,
        bytesToClient: 0,
        credentialPath: 'database/creds/e',
        leaseId: 'database/creds/e/L1',
        ended: { by: 'client' },
      });
      expect(Date.parse(records[0]!.end)).toBeGreaterThanOrEqual(Date.parse(records[0]!.start));
      expect(JSON.stringify(records)).not.toContain('hunter2');
      const connected = events.find((e) => e.kind === 'client-connected');
      expect(connected).toMatchObject({ client: `${connected?.process?.name} (pid ${process.pid})` });
      expect(connected?.message).toMatch(/^\S+ \(pid \d+\) connected from 127\.0\.0\.1:\d+$/);

      // The server side ends first: "by server".
      expect(await talk((await recording.start('f')).listen)).toBe('hello f\n');
      await expect.poll(() => records.length).toBe(2);
      expect(records[1]).toMatchObject({ connection: 'f', credentialPath: 'test', ended: { by: 'server' } });
      expect(records[1]!.leaseId).toBeUndefined();
    } finally {
      await recording.stopAll();
    }
  });

  it('names a client it cannot look up by its address, and a turned-off session as ended by the broker', async () => {
    const records: SessionRecord[] = [];
    const events: ConnectionEvent[] = [];
    const recording = createConnectionSupervisor(silentLogger, {
      findPeer: async () => undefined,
      onSessionEnded: (r) => records.push(r),
    });
    recording.onEvent((e) => events.push(e));
    recording.define({
      name: 'g',
      protocol: 'test',
      listen: '127.0.0.1:0',
      target: 'x:1',
      connector: {
        serve: (client, ctx) =>
          new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => {
              client.destroy();
              resolve();
            }),
          ),
      },
      credentials: fixed({}),
    });
    const [host, port] = (await recording.start('g')).listen.split(':');
    const socket = net.connect(Number(port), host);
    socket.on('error', () => {});
    await expect.poll(() => recording.status('g').stats.activeClients).toBe(1);
    await recording.stopAll();
    await expect.poll(() => records.length).toBe(1);
    expect(records[0]).toMatchObject({
      process: 'unknown',
      ended: { by: 'broker', message: 'the connection was turned off' },
    });
    expect(events.find((e) => e.kind === 'client-connected')?.message).toMatch(/^client 127\.0\.0\.1:\d+ connected$/);
  });
});
