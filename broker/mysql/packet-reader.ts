// Awaitable reads of whole packets from a socket during the handshake, each checked against the
// sequence id the protocol expects next. `release` detaches it and hands over any bytes already
// read, so the data phase is piped without losing a byte.
import type { Socket } from 'node:net';
import { BackendConnectError, PeerClosedError, ProtocolError } from './errors';
import { createPacketFramer, MAX_HANDSHAKE_PACKET, type Packet } from './protocol';

export interface PacketReader {
  /** The next packet, which must carry sequence id `seq`. */
  read(seq: number, what: string): Promise<Packet>;
  /** Detaches from the socket, pauses it, and returns the unconsumed bytes. */
  release(): Buffer;
}

export interface PacketReaderOptions {
  readonly peer: 'client' | 'backend';
  readonly signal: AbortSignal;
  readonly maxPayload?: number;
}

export function createPacketReader(socket: Socket, options: PacketReaderOptions): PacketReader {
  const { peer, signal } = options;
  const framer = createPacketFramer(options.maxPayload ?? MAX_HANDSHAKE_PACKET, peer);
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    framer.push(chunk);
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (err: Error) => {
    failure = err;
    notify();
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
  socket.resume();

  async function next(what: string): Promise<Packet> {
    for (;;) {
      const packet = framer.next();
      if (packet) return packet;
      if (signal.aborted) throw signal.reason as Error;
      if (failure) {
        const text = `the ${peer} connection failed while ${what}: ${failure.message}`;
        throw peer === 'backend' ? new BackendConnectError(text) : new ProtocolError(text);
      }
      if (ended) {
        if (framer.buffered > 0) throw new ProtocolError(`the ${peer} sent a truncated packet while ${what}`);
        throw new PeerClosedError(peer, what);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        wake = done;
        signal.addEventListener('abort', done);
      });
    }
  }

  return {
    async read(seq, what) {
      const packet = await next(what);
      if (packet.seq !== (seq & 0xff)) {
        throw new ProtocolError(`the ${peer} sent sequence id ${packet.seq} while ${what} (expected ${seq & 0xff})`);
      }
      return packet;
    },
    release() {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      notify();
      return framer.takeRest();
    },
  };
}
