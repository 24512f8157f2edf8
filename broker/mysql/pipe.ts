// The command phase: bytes flow both ways untouched, with backpressure (a slow reader pauses the
// other side), counted on the connection's meter. The client→backend direction runs
// through the COM_CHANGE_USER watch, which reads packet headers only.
import type { Socket } from 'node:net';
import type { SessionMeter } from '../connector';
import { CLOSE_GRACE_MS, relayChunks, untilBothClosed } from '../connector-kit';
import { createCommandTracker } from './command-tracker';

export type PipeOutcome = 'closed' | 'change-user-refused';

export interface PipeOptions {
  readonly client: Socket;
  readonly backend: Socket;
  readonly meter: SessionMeter;
  /** Client bytes read during the handshake but not consumed (normally none). */
  readonly pendingFromClient: Buffer;
  /** The ERR packet (whole, with header) that answers a COM_CHANGE_USER before the relay ends. */
  readonly changeUserRefusal: () => Buffer;
}

/**
 * Pipes until both sockets have closed. A clean end on one side ends the other after its queued
 * bytes are flushed (so a client's COM_QUIT reaches the server); an error destroys both. A
 * COM_CHANGE_USER is not forwarded: the client gets the refusal and the relay ends, since the
 * backend may still be answering an earlier pipelined command.
 */
export function pipeBoth(o: PipeOptions): Promise<PipeOutcome> {
  const { client, backend, meter } = o;
  let outcome: PipeOutcome = 'closed';
  const done = untilBothClosed(client, backend).then(() => outcome);
  if (client.destroyed || backend.destroyed) return done;
  const tracker = createCommandTracker();
  const refuse = () => {
    outcome = 'change-user-refused';
    client.off('data', forward);
    backend.destroy(); // nothing more of it reaches the client
    client.end(o.changeUserRefusal());
    setTimeout(() => client.destroy(), CLOSE_GRACE_MS).unref();
  };
  const forward = (chunk: Buffer) => {
    const cut = tracker.scan(chunk);
    const pass = cut < 0 ? chunk : chunk.subarray(0, cut);
    if (pass.length > 0) {
      meter.toTarget(pass.length);
      if (!backend.write(pass)) client.pause();
    }
    if (cut >= 0) refuse();
  };
  backend.on('drain', () => {
    if (outcome === 'closed') client.resume();
  });
  client.on('end', () => {
    if (!backend.destroyed) backend.end();
  });

  relayChunks(backend, client, (n) => meter.toClient(n));
  if (o.pendingFromClient.length > 0) forward(o.pendingFromClient);
  if (outcome === 'closed') {
    client.on('data', forward);
    client.resume();
  }
  return done;
}
