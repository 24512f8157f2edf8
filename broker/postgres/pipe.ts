// The data phase: bytes flow both ways untouched, with backpressure (a slow reader pauses the
// other side), counted on the connection's meter.
import type { Socket } from 'node:net';
import type { SessionMeter } from '../connector';
import { relayChunks, untilBothClosed } from '../connector-kit';

/**
 * Relays until both sockets have closed. A clean end on one side ends the other after its queued
 * bytes are flushed (so a client's Terminate reaches the server); an error destroys both.
 */
export function pipeBoth(client: Socket, backend: Socket, meter: SessionMeter): Promise<void> {
  const done = untilBothClosed(client, backend);
  if (client.destroyed || backend.destroyed) return done;
  relayChunks(client, backend, (n) => meter.toTarget(n));
  relayChunks(backend, client, (n) => meter.toClient(n));
  return done;
}
