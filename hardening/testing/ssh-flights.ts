// Raw first flights for fuzzing the SSH connector: a client's identification line and its
// unencrypted packets (KEXINIT, KEX_ECDH_INIT, NEWKEYS), recorded from a real client or built,
// and seeded cases made of them — random bytes, mutated identification lines, payloads mutated
// and framed correctly (the parsers see them), byte-level mutations, framing-length lies,
// random message types, pieces and the occasional missing half-close.
import { sshUint32 } from '../../broker/ssh';
import type { FuzzCase } from './fuzz';
import { mutate, type Random } from './random';
import { binaryPacket, CLIENT_ALGORITHMS, ecdhInit, identification, kexInit, payload } from './ssh-wire';

export interface Flight {
  identification: Buffer;
  payloads: Buffer[];
  /** Bytes after NEWKEYS (encrypted with keys the server will not share again). */
  rest: Buffer;
}

export const framed = (f: Flight, payloads = f.payloads) =>
  Buffer.concat([f.identification, ...payloads.map((p) => binaryPacket(p))]);
const INTERESTING_LENGTHS = [0, 1, 4, 5, 8, 35_000, 35_001, 0x7fffffff, 0xffffffff];

export function builtFlight(random: Random): Flight {
  const lists = random.chance(0.7)
    ? CLIENT_ALGORITHMS
    : {
        ...CLIENT_ALGORITHMS,
        [random.pick(['kex', 'hostKey', 'cipher', 'mac', 'compression'] as const)]: random.pick([
          [],
          ['nope'],
          ['x'.repeat(random.int(100, 40_000))],
          ['a', '', 'b'],
        ]),
      };
  return {
    identification: identification(
      random.pick(['OpenSSH_9.6', 'PuTTY_Release_0.80', 'x', '']),
      random.chance(0.2) ? 'comment here' : undefined,
    ),
    payloads: [kexInit(lists, random.chance(0.1)), ecdhInit(random.bytes(random.pick([32, 32, 32, 0, 31, 33, 65])))],
    rest: Buffer.alloc(0),
  };
}

export function* rawCases(random: Random, count: number, recorded: Flight): Generator<FuzzCase> {
  for (let i = 0; i < count; i++) {
    const flight = random.chance(0.6) ? recorded : builtFlight(random);
    const upTo = random.int(0, flight.payloads.length);
    const tail = flight.rest.subarray(0, random.int(0, 2048));
    const kind = random.next();
    let bytes: Buffer;
    if (kind < 0.1) bytes = random.bytes(random.int(0, 300));
    else if (kind < 0.2)
      bytes = Buffer.concat([
        mutate(random, flight.identification),
        ...flight.payloads.slice(0, upTo).map((p) => binaryPacket(p)),
      ]);
    else if (kind < 0.5) {
      // A payload mutated and framed correctly: the message parsers see it, not the framing.
      const payloads = flight.payloads.slice(0, Math.max(1, upTo));
      const at = random.int(0, payloads.length - 1);
      payloads[at] = mutate(random, payloads[at]!, 1);
      bytes = Buffer.concat([framed(flight, payloads), tail]);
    } else if (kind < 0.75)
      bytes = mutate(
        random,
        Buffer.concat([framed(flight, flight.payloads.slice(0, upTo)), tail]),
        flight.identification.length,
      );
    else if (kind < 0.85) {
      // Framing lies: the packet length or padding length says something else.
      const packet = binaryPacket(flight.payloads[random.int(0, flight.payloads.length - 1)]!);
      if (random.chance(0.6))
        sshUint32(random.chance(0.5) ? random.pick(INTERESTING_LENGTHS) : random.int(0, 0xffffffff)).copy(packet, 0);
      else packet[4] = random.int(0, 255);
      bytes = Buffer.concat([flight.identification, packet, random.bytes(random.int(0, 64))]);
    } else if (kind < 0.95) {
      const packets = Array.from({ length: random.int(1, 3) }, () =>
        binaryPacket(payload(random.int(0, 255), random.bytes(random.int(0, 100)))),
      );
      bytes = Buffer.concat([flight.identification, ...packets]);
    } else bytes = Buffer.concat([framed(flight), flight.rest]);
    // Few cases skip the half-close: each holds a connection until the handshake deadline.
    yield { bytes, end: !random.chance(0.005), pieces: random.chance(0.2) ? random.int(2, 8) : 1 };
  }
}
