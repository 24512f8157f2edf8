// Hostile input against the SSH connector's client-facing side, over a real loopback listener
// with the sandbox's sshd behind it (login with a certificate the Vault dev server's SSH CA
// signs per session). Two layers:
//  - raw first flights: seeded random bytes and mutations of a real OpenSSH client's recorded
//    first flights (identification line, KEXINIT, KEX_ECDH_INIT, NEWKEYS, encrypted rest) and
//    of self-built ones — bit flips, truncation, framing-length lies, payloads mutated and
//    re-framed, random message types, pieces, no half-close;
//  - scripts past the key exchange (a real ssh2 client sends mutated messages encrypted):
//    user auth and transport messages before login, channel and global requests after it.
// The process must not crash, every connection must end within the handshake deadline (+ slack),
// memory must stay bounded, oversized and slow-drip clients are cut off, and the real `ssh`
// binary is served before, during and after.
import net from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKeyLine, sshUint32 } from '../broker/ssh';
import { exchange } from './testing/exchange';
import { runFuzz } from './testing/fuzz';
import { countResources, expectReleased, measuredMemory, type ResourceCounts } from './testing/leaks';
import { sized } from './testing/mode';
import { createRandom } from './testing/random';
import { framed, rawCases, type Flight } from './testing/ssh-flights';
import { sshScripts } from './testing/ssh-messages';
import { runSshScripts } from './testing/ssh-scripted';
import { ecdhInit, identification, kexInit, MSG, serverMessages, splitClientFlight } from './testing/ssh-wire';
import { serveSshConnector, startSshSandbox, type ServedSshConnector, type SshSandbox } from './testing/ssh-world';
import { startTcpGate } from './testing/tcp-gate';

const SEED = 0x55480a;
const RAW_CASES = sized(2_500, 90_000);
const SCRIPTS = sized(300, 10_000);
/** Share of scripts that log in first: each costs a Vault signature and an sshd login. */
const POST_AUTH_SHARE = 0.15;
const HANDSHAKE_MS = 2_000;
const CASE_TIMEOUT_MS = HANDSHAKE_MS + 10_000;

/** A TCP server that echoes, as the target of the scripts' direct-tcpip opens. */
async function startEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const megabytes = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);

describe('SSH endpoint under hostile input', () => {
  let sandbox: SshSandbox;
  let served: ServedSshConnector;
  let baseline: ResourceCounts;
  let recorded: Flight;
  let goodRuns = 0;

  beforeAll(async () => {
    sandbox = await startSshSandbox('hardening-fuzz-ssh');
    baseline = countResources();
    served = await serveSshConnector(sandbox, { handshakeMs: HANDSHAKE_MS });
    // A real OpenSSH client's whole byte stream for one session, recorded in flight.
    const streams = new Map<number, Buffer[]>();
    const gate = await startTcpGate(
      { host: '127.0.0.1', port: served.broker.port },
      (chunk, id) => void (streams.get(id) ?? streams.set(id, []).get(id)!).push(chunk),
    );
    const result = await served.ssh('echo recorded', { port: gate.port });
    await gate.close();
    expect(result.stdout, result.stderr).toBe('recorded\n');
    recorded = splitClientFlight(Buffer.concat(streams.get(0) ?? []));
  });

  afterAll(async () => {
    await served?.broker.close();
    await sandbox?.close();
  });

  async function goodClientWorks(): Promise<void> {
    const text = `good-${goodRuns}-${Math.random().toString(36).slice(2)}`;
    const result = await served.ssh('cat', { input: text });
    expect(result.stdout, result.stderr).toBe(text);
    expect(result.code).toBe(0);
    goodRuns++;
  }

  const checkpoint = (everyCases: number) => ({ everyCases, run: goodClientWorks });

  it('uses fuzz bases that are valid: a recorded and a built first flight both reach the key exchange reply', async () => {
    expect(recorded.payloads.map((p) => p[0])).toEqual([MSG.KEXINIT, MSG.KEX_ECDH_INIT, MSG.NEWKEYS]);
    for (const flight of [
      recorded,
      { identification: identification(), payloads: [kexInit(), ecdhInit()], rest: Buffer.alloc(0) },
    ]) {
      const answer = await exchange(served.broker.port, framed(flight, flight.payloads.slice(0, 2)), { end: true });
      expect(serverMessages(answer.received).types).toEqual([MSG.KEXINIT, MSG.KEX_ECDH_REPLY, MSG.NEWKEYS]);
    }
  });

  it(
    `survives ${SCRIPTS} seeded message scripts past the key exchange, before and after login`,
    { timeout: sized(120_000, 3_600_000) },
    async () => {
      const echo = await startEchoServer();
      try {
        const targets = { socketDir: sandbox.dir, echoPort: echo.port };
        const options = {
          concurrency: 8,
          caseTimeoutMs: CASE_TIMEOUT_MS,
          hostKeyBlob: parsePublicKeyLine(served.connector.hostKey.publicKey, 'host key').blob,
        };
        await goodClientWorks();
        const warmUp = await runSshScripts(
          served.broker.port,
          sshScripts(createRandom(SEED ^ 2), 50, POST_AUTH_SHARE, targets),
          options,
        );
        expect(warmUp.hung).toBe(0);
        const before = measuredMemory();
        const runsBefore = goodRuns;
        const every = sized(100, 1_000);
        const result = await runSshScripts(
          served.broker.port,
          sshScripts(createRandom(SEED ^ 3), SCRIPTS, POST_AUTH_SHARE, targets),
          { ...options, checkpoint: checkpoint(every) },
        );
        const after = measuredMemory();
        console.info(
          `[hardening] ssh scripted fuzz: ${JSON.stringify({ ...result, hungSamples: undefined, goodRuns: goodRuns - runsBefore, memory: { kind: after.kind, beforeMB: megabytes(before.bytes), afterMB: megabytes(after.bytes) } })}`,
        );
        expect(result.hungSamples).toEqual([]);
        expect(result).toMatchObject({ cases: SCRIPTS, hung: 0, notLoggedIn: 0 });
        expect(result.serverEnded + result.sessions).toBeGreaterThan(0); // the scripts do reach the parsers
        expect(result.postAuth).toBeGreaterThan(0);
        expect(goodRuns - runsBefore).toBeGreaterThanOrEqual(Math.floor(SCRIPTS / every));
        expect(served.broker.serveErrors).toEqual([]);
        expect(served.broker.logCounts.error ?? 0).toBe(0);
        expect(after.bytes - before.bytes).toBeLessThan((after.kind === 'heapUsed' ? 48 : 160) * 2 ** 20);
        await expect.poll(() => served.broker.active(), { timeout: 15_000 }).toBe(0);
        await expect.poll(() => sandbox.upstreamSessions(), { timeout: 15_000 }).toBe(0); // no session left open at sshd
        await goodClientWorks();
      } finally {
        await echo.close();
      }
    },
  );

  it(
    `survives ${RAW_CASES} seeded random and mutated first flights, ends every connection, keeps serving a good client`,
    { timeout: sized(120_000, 3_600_000) },
    async () => {
      await goodClientWorks();
      const warmUp = await runFuzz(served.broker.port, rawCases(createRandom(SEED ^ 1), 200, recorded), {
        concurrency: 32,
        caseTimeoutMs: CASE_TIMEOUT_MS,
      });
      expect(warmUp.hung).toBe(0);
      const before = measuredMemory();
      const runsBefore = goodRuns;
      const every = sized(500, 5_000);
      const result = await runFuzz(served.broker.port, rawCases(createRandom(SEED), RAW_CASES, recorded), {
        concurrency: 32,
        caseTimeoutMs: CASE_TIMEOUT_MS,
        checkpoint: checkpoint(every),
      });
      const after = measuredMemory();
      console.info(
        `[hardening] ssh raw fuzz: ${JSON.stringify({ ...result, hungSamples: undefined, goodRuns: goodRuns - runsBefore, memory: { kind: after.kind, beforeMB: megabytes(before.bytes), afterMB: megabytes(after.bytes) } })}`,
      );
      expect(result.hungSamples).toEqual([]);
      expect(result).toMatchObject({ cases: RAW_CASES, hung: 0, refused: 0, ended: RAW_CASES });
      expect(goodRuns - runsBefore).toBeGreaterThanOrEqual(Math.floor(RAW_CASES / every));
      expect(served.broker.serveErrors).toEqual([]);
      expect(served.broker.logCounts.error ?? 0).toBe(0);
      expect(after.bytes - before.bytes).toBeLessThan((after.kind === 'heapUsed' ? 48 : 160) * 2 ** 20);
      await expect.poll(() => served.broker.active(), { timeout: 15_000 }).toBe(0);
      await goodClientWorks();
    },
  );

  it('cuts off an oversized packet at its length field and an identification line that never ends', async () => {
    const oversized = Buffer.concat([identification(), sshUint32(0x7fffffff), Buffer.alloc(1024 * 1024, 0x41)]);
    const declared = await exchange(served.broker.port, oversized, { dripBytes: 64 * 1024 });
    expect(declared.received.subarray(0, 14).toString()).toBe('SSH-2.0-Sesame');
    expect(declared.cutOff).toBe(true);
    const endless = await exchange(
      served.broker.port,
      Buffer.concat([Buffer.from('SSH-2.0-'), Buffer.alloc(1024 * 1024, 0x41)]),
      { dripBytes: 64 * 1024 },
    );
    expect(endless.cutOff).toBe(true);
    await goodClientWorks();
  });

  it('ends stalled clients at the handshake deadline: one trickling its key exchange, one silent after it (told why)', async () => {
    // The identification line comes whole (ssh2 drops one that arrives in 3+ pieces), then
    // KEXINIT trickles in pieces of the same size every 100 ms: far slower than the deadline.
    const trickling = exchange(served.broker.port, framed(recorded, recorded.payloads.slice(0, 1)), {
      dripBytes: recorded.identification.length,
      dripPauseMs: 100,
    });
    const hostKeyBlob = parsePublicKeyLine(served.connector.hostKey.publicKey, 'host key').blob;
    const silent = new Promise<string>((resolve) => {
      const client = new ssh2.Client();
      // ssh2 surfaces a BY_APPLICATION disconnect's description only in its debug output.
      const debug = (line: string) => {
        const match = /Received DISCONNECT \(\d+, "(.*)"\)/.exec(line);
        if (match) resolve(match[1]!);
      };
      client.on('error', () => {});
      client.on('close', () => resolve('closed without a reason'));
      // Never answer ssh2's "how do I log in?": the client stalls after the key exchange.
      client.connect({
        host: '127.0.0.1',
        port: served.broker.port,
        username: 'x',
        hostVerifier: (key: Buffer) => key.equals(hostKeyBlob),
        authHandler: () => undefined,
        debug,
      });
    });
    const drip = await trickling;
    expect(drip.received.subarray(0, 14).toString()).toBe('SSH-2.0-Sesame');
    expect(drip.cutOff).toBe(true);
    expect(await silent).toBe(`Sesame (hardening): the SSH login did not complete within ${HANDSHAKE_MS} ms`);
    await goodClientWorks();
  });

  it('leaves no sockets, descriptors or timers behind once the broker closes', async () => {
    await served.broker.close();
    await expectReleased(baseline, { fds: 4, handles: 4 });
  });
});
