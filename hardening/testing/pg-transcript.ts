// What a PostgreSQL server (or the broker) answers to scripted startup bytes: the one-byte answers
// to SSLRequest/GSSENCRequest, the messages after them (errors reduced to the fields a client
// reads, the broker's "sesame: connection '<name>': " prefix taken off), and whether the server
// closed the connection. Two transcripts of the same script compare with toEqual.
import net from 'node:net';

export type PgStep = { send: Buffer } | { readByte: true };

export interface PgScript {
  readonly steps: readonly PgStep[];
  /** Half-close after the steps (the client's EOF). */
  readonly end?: boolean;
  /** How long to wait for the server to close after the steps (default 4 s). */
  readonly waitMs?: number;
  /** Compare only the first N messages, then leave (the server goes on with a login). */
  readonly firstMessages?: number;
}

export type PgAnswer =
  | { readonly type: string; readonly fields: Readonly<Record<string, string>> }
  | { readonly type: string; readonly hex: string }
  | { readonly v2Error: string };

export interface PgTranscript {
  readonly bytes: string[];
  readonly messages: PgAnswer[];
  /**
   * When the server closed, counted from the last step: 'at once' (within QUICK_CLOSE_MS), 'later'
   * (a timeout of its own), or 'no' (still open when the script stopped waiting).
   */
  readonly closed: 'at once' | 'later' | 'no';
  /** Bytes that did not parse as messages (should be empty). */
  readonly rest: string;
}

/** Fields of an ErrorResponse/NoticeResponse a client reads; file, line and routine are the server's own. */
const CLIENT_FIELDS = ['S', 'V', 'C', 'M', 'D', 'H'];
const PREFIX = /sesame: connection '[^']*': /;
/** Closes sooner than this after the last step are "at once"; the servers' own timeouts are longer. */
export const QUICK_CLOSE_MS = 1_500;

export function parsePgAnswers(bytes: Buffer): { messages: PgAnswer[]; rest: Buffer } {
  const messages: PgAnswer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const type = String.fromCharCode(bytes[at]!);
    // Protocol 2's ErrorResponse: 'E' and a NUL-terminated string ("FATAL:  …\n").
    if (type === 'E' && bytes[at + 1] === 0x46 /* F */) {
      const end = bytes.indexOf(0, at + 1);
      if (end < 0) break;
      messages.push({ v2Error: bytes.toString('utf8', at + 1, end).replace(PREFIX, '') });
      at = end + 1;
      continue;
    }
    if (at + 5 > bytes.length) break;
    const length = bytes.readInt32BE(at + 1);
    if (length < 4 || at + 1 + length > bytes.length) break;
    const body = bytes.subarray(at + 5, at + 1 + length);
    if (type === 'E' || type === 'N') {
      const fields: Record<string, string> = {};
      let p = 0;
      while (p < body.length && body[p] !== 0) {
        const key = String.fromCharCode(body[p]!);
        const end = body.indexOf(0, p + 1);
        if (end < 0) break;
        if (CLIENT_FIELDS.includes(key)) fields[key] = body.toString('utf8', p + 1, end).replace(PREFIX, '');
        p = end + 1;
      }
      messages.push({ type, fields });
    } else messages.push({ type, hex: body.toString('hex') });
    at += 1 + length;
  }
  return { messages, rest: bytes.subarray(at) };
}

/** Runs `script` against a server at `address` (TCP port or unix socket path). */
export function pgTranscript(address: number | string, script: PgScript): Promise<PgTranscript> {
  return new Promise((resolve) => {
    const socket = typeof address === 'number' ? net.connect(address, '127.0.0.1') : net.connect(address);
    let received = Buffer.alloc(0);
    let closed = false;
    let wake = () => {};
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      wake();
    });
    const until = async (done: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!done() && Date.now() < deadline) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, Math.max(1, deadline - Date.now()));
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    };
    socket.once('connect', () => {
      void (async () => {
        const bytes: string[] = [];
        for (const step of script.steps) {
          if ('send' in step) {
            if (!closed) socket.write(step.send);
          } else {
            await until(() => received.length > 0 || closed, 10_000);
            if (received.length > 0) {
              bytes.push(String.fromCharCode(received[0]!));
              received = received.subarray(1);
            }
          }
        }
        if (script.end && !closed) socket.end();
        const stepsDone = Date.now();
        let closedAt: number | undefined;
        socket.once('close', () => (closedAt = Date.now()));
        if (closed) closedAt = stepsDone;
        const enough = () =>
          closed ||
          (script.firstMessages !== undefined && parsePgAnswers(received).messages.length >= script.firstMessages);
        await until(enough, script.waitMs ?? 4_000);
        const wasClosed: PgTranscript['closed'] =
          closedAt === undefined ? 'no' : closedAt - stepsDone < QUICK_CLOSE_MS ? 'at once' : 'later';
        socket.destroy();
        const { messages, rest } = parsePgAnswers(received);
        resolve({
          bytes,
          messages: script.firstMessages === undefined ? messages : messages.slice(0, script.firstMessages),
          closed: script.firstMessages === undefined ? wasClosed : 'no',
          rest: script.firstMessages === undefined ? rest.toString('hex') : '',
        });
      })();
    });
  });
}
