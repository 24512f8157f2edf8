// One raw connection: send bytes (at once, or dripped with a pause between pieces), collect
// everything the server answers until it closes.
import net from 'node:net';

export interface Exchange {
  received: Buffer;
  /** Bytes of ours the server took before it closed. */
  sent: number;
  /** True when the server closed while we still had bytes to send. */
  cutOff: boolean;
}

export function exchange(
  port: number,
  bytes: Buffer,
  options: { dripBytes?: number; dripPauseMs?: number; end?: boolean; path?: string } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = options.path ? net.connect(options.path) : net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), sent, cutOff: sent < bytes.length });
    });
    socket.on('connect', () => {
      const step = options.dripBytes ?? bytes.length;
      const sendNext = () => {
        if (socket.destroyed || socket.writableEnded) return;
        const piece = bytes.subarray(sent, sent + step);
        if (piece.length > 0) {
          socket.write(piece);
          sent += piece.length;
        }
        if (sent < bytes.length) timer = setTimeout(sendNext, options.dripPauseMs ?? 0);
        else if (options.end) socket.end();
      };
      sendNext();
    });
  });
}
