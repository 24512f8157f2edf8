// Load and soak for the SSH connector: concurrent SSH sessions through one broker to the
// sandbox's real sshd (login upstream with a certificate the Vault dev server signs per
// session), each running `cat` in a loop — 4–23 round trips of random bytes through it, the echo
// checked — and now and then reconnecting (a new brokered session). Short: 20 sessions for 10 s; long: 50 sessions for
// HARDENING_SOAK_SECONDS (default 60). Memory and descriptors are measured with every session
// open and idle, after a warm-up and again after the soak: growth must stay under 10 %, with
// zero failed commands (wrong output, a failing exec, a broken session).
import { randomBytes } from 'node:crypto';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKeyLine } from '../broker/ssh';
import { countResources, expectReleased, measuredMemory, type ResourceCounts } from './testing/leaks';
import { sized } from './testing/mode';
import { catRoundTrips, connectSsh } from './testing/ssh-client';
import { serveSshConnector, startSshSandbox, type ServedSshConnector, type SshSandbox } from './testing/ssh-world';

const SESSIONS = sized(20, 50);
const SECONDS = sized(10, Number(process.env.HARDENING_SOAK_SECONDS ?? 60));
const WARM_UP_SECONDS = sized(3, 15);

interface Tally {
  commands: number;
  bytes: number;
  reconnects: number;
  /**
   * Commands whose exit status never arrived. Must be 0: a client that closes the channel on
   * EOF both ways (every ssh2 client does) once lost the status when the relay forwarded EOF
   * before it; the relay now holds EOF until the status (or the close) arrives.
   */
  exitStatusLost: number;
  errors: string[];
}

describe(`soak: ${SESSIONS} SSH sessions through one broker for ${SECONDS} s`, () => {
  let sandbox: SshSandbox;
  let served: ServedSshConnector;
  let baseline: ResourceCounts;
  let hostKeyBlob: Buffer;
  const clients: Client[] = [];

  beforeAll(async () => {
    sandbox = await startSshSandbox('hardening-soak-ssh');
    baseline = countResources();
    served = await serveSshConnector(sandbox, { name: 'soak' });
    hostKeyBlob = parsePublicKeyLine(served.connector.hostKey.publicKey, 'host key').blob;
  });

  afterAll(async () => {
    for (const client of clients) client.end();
    await served?.broker.close();
    await sandbox?.close();
  });

  /** Session `i` runs commands until `until`, reconnecting after every 5–15 commands; it ends idle with its session open. */
  async function loop(i: number, until: number, tally: Tally): Promise<void> {
    let left = 5 + Math.floor(Math.random() * 10);
    while (Date.now() < until) {
      try {
        if (left-- <= 0) {
          clients[i]!.end();
          clients[i] = await connectSsh(served.broker.port, hostKeyBlob);
          tally.reconnects++;
          left = 5 + Math.floor(Math.random() * 10);
        }
        const chunks = Array.from({ length: 4 + Math.floor(Math.random() * 20) }, () =>
          randomBytes(1 + Math.floor(Math.random() * 32 * 1024)),
        );
        const input = Buffer.concat(chunks);
        const { stdout, code } = await catRoundTrips(clients[i]!, chunks);
        if (!stdout.equals(input))
          tally.errors.push(`session ${i}: cat returned ${stdout.length} bytes for ${input.length}`);
        if (code === undefined) tally.exitStatusLost++;
        else if (code !== 0) tally.errors.push(`session ${i}: cat exited with ${code}`);
        tally.commands++;
        tally.bytes += input.length;
      } catch (error) {
        tally.errors.push(`session ${i}: ${(error as Error).message}`);
        clients[i]!.end();
        clients[i] = await connectSsh(served.broker.port, hostKeyBlob);
      }
    }
  }

  const phase = async (seconds: number): Promise<Tally> => {
    const tally: Tally = { commands: 0, bytes: 0, reconnects: 0, exitStatusLost: 0, errors: [] };
    const until = Date.now() + seconds * 1000;
    await Promise.all(clients.map((_, i) => loop(i, until, tally)));
    return tally;
  };

  it(
    'runs every command correctly, and memory and descriptors grow under 10 % after warm-up',
    { timeout: (SECONDS + WARM_UP_SECONDS) * 1000 + 120_000 },
    async () => {
      clients.push(
        ...(await Promise.all(Array.from({ length: SESSIONS }, () => connectSsh(served.broker.port, hostKeyBlob)))),
      );
      const warm = await phase(WARM_UP_SECONDS);
      expect(warm.errors).toEqual([]);
      const memoryBefore = measuredMemory();
      const fdsBefore = countResources().fds;

      const soak = await phase(SECONDS);
      const memoryAfter = measuredMemory();
      const fdsAfter = countResources().fds;
      const growth = (memoryAfter.bytes - memoryBefore.bytes) / memoryBefore.bytes;
      const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
      console.info(
        `[hardening] ssh soak: ${SESSIONS} sessions, ${SECONDS} s, ${soak.commands} commands (${(soak.commands / SECONDS).toFixed(0)}/s), ${mib(soak.bytes)} MiB echoed, ` +
          `${soak.reconnects} reconnects, ${soak.errors.length} errors, ${soak.exitStatusLost} exit statuses lost; ${memoryAfter.kind} ${mib(memoryBefore.bytes)} → ${mib(memoryAfter.bytes)} MiB (${(growth * 100).toFixed(1)} %), fds ${fdsBefore} → ${fdsAfter}`,
      );
      expect(soak.errors).toEqual([]);
      // Each command's exit status reaches the client (the relay holds EOF until it arrives).
      expect(soak.exitStatusLost).toBe(0);
      expect(soak.commands).toBeGreaterThan(SESSIONS);
      await expect.poll(() => served.broker.active(), { timeout: 15_000 }).toBe(SESSIONS);
      await expect.poll(() => sandbox.upstreamSessions(), { timeout: 15_000 }).toBe(SESSIONS);
      expect(growth).toBeLessThan(0.1);
      expect(fdsAfter).toBeLessThanOrEqual(Math.ceil(fdsBefore * 1.1));
      expect(served.broker.serveErrors).toEqual([]);
      expect(served.broker.logCounts.error ?? 0).toBe(0);
    },
  );

  it('ends every session and leaves no sockets, descriptors or timers behind', async () => {
    for (const client of clients.splice(0)) client.end();
    await expect.poll(() => served.broker.active(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => sandbox.upstreamSessions(), { timeout: 15_000 }).toBe(0);
    await served.broker.close();
    await expectReleased(baseline, { fds: 4, handles: 4 });
  });
});
