// Throwing cases at a listener: each case is one connection that sends some bytes (whole, or
// dripped in pieces), optionally half-closes, then waits for the server to end the connection.
// A case the server does not end within `caseTimeoutMs` is a hang; the runner counts it.
import net from 'node:net';

export interface FuzzCase {
  bytes: Buffer;
  /** Half-close after sending (most cases); otherwise the server's deadline must end it. */
  end: boolean;
  /** Send in this many pieces, one per event-loop turn (exercises partial reads). */
  pieces?: number;
}

export interface FuzzResult {
  cases: number;
  /** Cases the server ended (close) before the guard fired. */
  ended: number;
  /** Cases the guard had to cut: the server hung. Must be 0. */
  hung: number;
  /** Cases where the server answered something before closing. */
  answered: number;
  /** Cases whose handshake the server completed (a real session; the client then left). */
  sessions: number;
  /** Connections refused at connect: the listener stopped accepting. Must be 0. */
  refused: number;
  /** The first few hung cases, for replay. */
  hungSamples: { index: number; hex: string }[];
}

export interface FuzzOptions {
  concurrency: number;
  caseTimeoutMs: number;
  /**
   * True once the server's answer shows a completed handshake: the case became a real session,
   * which rightly stays open until the client leaves, so the client leaves.
   */
  completed?: (received: Buffer) => boolean;
  /** Called every `everyCases` finished cases (e.g. to run a good client, sample memory). */
  checkpoint?: Checkpoint;
}

function runCase(
  port: number,
  c: FuzzCase,
  timeoutMs: number,
  completed?: (received: Buffer) => boolean,
): Promise<'ended' | 'hung' | 'refused' | 'answered' | 'session'> {
  return new Promise((resolve) => {
    let answered = false;
    let connected = false;
    let session = false;
    let received = Buffer.alloc(0);
    const socket = net.connect(port, '127.0.0.1');
    const guard = setTimeout(() => {
      socket.destroy();
      resolve('hung');
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      if (!completed || session) return;
      if (received.length < 64 * 1024) received = Buffer.concat([received, chunk]);
      if (completed(received)) {
        session = true;
        socket.destroy();
      }
    });
    socket.on('error', () => {}); // EPIPE / ECONNRESET: the server cut us off, which is fine
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(!connected ? 'refused' : session ? 'session' : answered ? 'answered' : 'ended');
    });
    socket.on('connect', () => {
      connected = true;
      const pieces = Math.max(1, Math.min(c.pieces ?? 1, c.bytes.length || 1));
      const size = Math.ceil(c.bytes.length / pieces) || 0;
      let offset = 0;
      const sendNext = () => {
        if (socket.destroyed) return;
        if (offset < c.bytes.length) {
          socket.write(c.bytes.subarray(offset, offset + size));
          offset += size;
          if (offset < c.bytes.length) return void setImmediate(sendNext);
        }
        if (c.end) socket.end();
      };
      sendNext();
    });
  });
}

/** Every `everyCases` finished cases, `run` (e.g. a memory measurement) while the workers wait. */
export interface Checkpoint {
  everyCases: number;
  run: (done: number) => Promise<void>;
}

/** `each` over `items` with `concurrency` workers in flight, pausing for the checkpoint. */
export async function forEachCase<T>(
  items: Iterable<T>,
  concurrency: number,
  checkpoint: Checkpoint | undefined,
  each: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let index = 0;
  let done = 0;
  let nextCheckpoint = checkpoint?.everyCases ?? Infinity;
  let checkpointing: Promise<void> = Promise.resolve();
  async function worker(): Promise<void> {
    for (;;) {
      const item = iterator.next();
      if (item.done) return;
      await each(item.value, index++);
      done++;
      if (checkpoint && done >= nextCheckpoint) {
        nextCheckpoint += checkpoint.everyCases;
        const at = done;
        checkpointing = checkpointing.then(() => checkpoint.run(at));
        await checkpointing;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  await checkpointing;
}

export async function runFuzz(port: number, cases: Iterable<FuzzCase>, options: FuzzOptions): Promise<FuzzResult> {
  const result: FuzzResult = { cases: 0, ended: 0, hung: 0, answered: 0, sessions: 0, refused: 0, hungSamples: [] };
  await forEachCase(cases, options.concurrency, options.checkpoint, async (item, index) => {
    const outcome = await runCase(port, item, options.caseTimeoutMs, options.completed);
    result.cases++;
    if (outcome === 'hung') {
      result.hung++;
      if (result.hungSamples.length < 5)
        result.hungSamples.push({ index, hex: item.bytes.subarray(0, 64).toString('hex') });
    } else if (outcome === 'refused') result.refused++;
    else {
      result.ended++;
      if (outcome !== 'ended') result.answered++;
      if (outcome === 'session') result.sessions++;
    }
  });
  return result;
}
