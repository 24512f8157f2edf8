// What a MySQL/MariaDB server (or the broker) answers to scripted bytes sent after its greeting:
// the packets (an ERR reduced to sequence id, code, SQLSTATE and message — the broker's
// "sesame: connection '<name>': " prefix taken off —, an AuthSwitchRequest to its plugin name),
// and when the server closed. The greeting itself differs by design (the broker's own scramble and
// flags) and is not compared. Two transcripts of the same script compare with toEqual.
import net from 'node:net';

export interface MysqlScript {
  /** Sent after the greeting arrived. */
  readonly send: Buffer;
  /** Half-close after sending. */
  readonly end?: boolean;
  /** How long to wait for the server to close (default 4 s). */
  readonly waitMs?: number;
}

export type MysqlAnswer =
  | { readonly seq: number; readonly err: number; readonly sqlstate: string | null; readonly message: string }
  | { readonly seq: number; readonly authSwitch: string }
  | { readonly seq: number; readonly hex: string };

export interface MysqlTranscript {
  readonly packets: MysqlAnswer[];
  /** 'at once' (within QUICK_CLOSE_MS of sending), 'later' (a timeout of its own), 'no'. */
  readonly closed: 'at once' | 'later' | 'no';
  readonly rest: string;
}

const PREFIX = /^sesame: connection '[^']*': /;
export const QUICK_CLOSE_MS = 1_500;

export function parseMysqlAnswers(bytes: Buffer): { packets: MysqlAnswer[]; rest: Buffer } {
  const packets: MysqlAnswer[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes.readUIntLE(at, 3);
    if (at + 4 + length > bytes.length) break;
    const seq = bytes[at + 3]!;
    const payload = bytes.subarray(at + 4, at + 4 + length);
    if (payload[0] === 0xff) {
      const hasState = payload[3] === 0x23; /* # */
      packets.push({
        seq,
        err: payload.readUInt16LE(1),
        sqlstate: hasState ? payload.toString('latin1', 4, 9) : null,
        message: payload.toString('utf8', hasState ? 9 : 3).replace(PREFIX, ''),
      });
    } else if (payload[0] === 0xfe && payload.length > 1) {
      packets.push({ seq, authSwitch: payload.toString('latin1', 1, payload.indexOf(0, 1)) });
    } else packets.push({ seq, hex: payload.toString('hex') });
    at += 4 + length;
  }
  return { packets, rest: bytes.subarray(at) };
}

/** Connects to 127.0.0.1:`port`, waits for the greeting, runs `script`. */
export function mysqlTranscript(port: number, script: MysqlScript): Promise<MysqlTranscript> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let greeted = false;
    let sentAt = 0;
    let closedAt: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const { packets, rest } = parseMysqlAnswers(received);
      resolve({
        packets,
        closed: closedAt === undefined ? 'no' : closedAt - sentAt < QUICK_CLOSE_MS ? 'at once' : 'later',
        rest: rest.toString('hex'),
      });
    };
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (greeted || received.length < 4 || received.length < 4 + received.readUIntLE(0, 3)) return;
      greeted = true;
      received = received.subarray(4 + received.readUIntLE(0, 3));
      sentAt = Date.now();
      if (script.send.length > 0) socket.write(script.send);
      if (script.end) socket.end();
      timer = setTimeout(finish, script.waitMs ?? 4_000);
    });
    socket.on('close', () => {
      closedAt = Date.now();
      if (!greeted) sentAt = closedAt;
      finish();
    });
  });
}
