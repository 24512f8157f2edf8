// The data phase: bytes flow both ways untouched, with stream backpressure (a slow reader
// pauses the other side), counted for the session's stats.
import type { Socket } from 'node:net';
import type { SessionMeter } from '../connector';
import { untilBothClosed } from '../wire';

/**
 * Pipes until both sockets have closed. A clean end on one side ends the other after its queued
 * bytes are flushed (so a client's Terminate reaches the server); an error destroys both.
 */
export function pipeSession(client: Socket, backend: Socket, meter: SessionMeter): Promise<void> {
  const done = untilBothClosed(client, backend);
  if (client.destroyed || backend.destroyed) return done;
  client.on('data', (chunk: Buffer) => meter.toTarget(chunk.length));
  backend.on('data', (chunk: Buffer) => meter.toClient(chunk.length));
  client.pipe(backend);
  backend.pipe(client);
  return done;
}
