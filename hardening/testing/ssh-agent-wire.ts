// ssh-agent protocol bytes for fuzzing the agent connector (draft-miller-ssh-agent): frames
// (uint32 length, type byte, body), a reader for the agent's replies, and seeded cases —
// pipelined requests with real, mutated and random key blobs, data and flags, refused and
// unknown message types, byte-level mutations and framing lies (zero, oversized, longer or
// shorter than what follows). Built here, not with the connector's own framing code.
import { SshReader, sshString, sshUint32 } from '../../broker/ssh';
import type { FuzzCase } from './fuzz';
import { mutate, type Random } from './random';

export const AGENT_MSG = {
  FAILURE: 5,
  REQUEST_IDENTITIES: 11,
  IDENTITIES_ANSWER: 12,
  SIGN_REQUEST: 13,
  SIGN_RESPONSE: 14,
  ADD_IDENTITY: 17,
  REMOVE_IDENTITY: 18,
  REMOVE_ALL_IDENTITIES: 19,
  LOCK: 22,
  UNLOCK: 23,
  EXTENSION: 27,
} as const;

/** The agent's cap on one message (OpenSSH's too). */
export const AGENT_MAX_MESSAGE = 256 * 1024;

export function agentMessage(type: number, ...fields: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from([type]), ...fields]);
  return Buffer.concat([sshUint32(body.length), body]);
}

export const signRequest = (keyBlob: Buffer, data: Buffer, flags: number): Buffer =>
  agentMessage(AGENT_MSG.SIGN_REQUEST, sshString(keyBlob), sshString(data), sshUint32(flags >>> 0));

/** Every whole reply in `bytes`: type and body. */
export function agentReplies(bytes: Buffer): { type: number; body: Buffer }[] {
  const replies: { type: number; body: Buffer }[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    if (length === 0 || at + 4 + length > bytes.length) break;
    replies.push({ type: bytes[at + 4]!, body: bytes.subarray(at + 5, at + 4 + length) });
    at += 4 + length;
  }
  return replies;
}

/** The key blobs (and comments) of an IDENTITIES_ANSWER body. */
export function listedIdentities(body: Buffer): { blob: Buffer; comment: string }[] {
  const reader = new SshReader(body, 'identities answer');
  return Array.from({ length: reader.uint32('count') }, () => ({
    blob: reader.bytes('key blob'),
    comment: reader.text('comment'),
  }));
}

const FLAGS = [0, 1, 2, 4, 6, 8, 0xffffffff];

function oneMessage(random: Random, blobs: readonly Buffer[]): Buffer {
  const blob = () =>
    random.chance(0.6)
      ? random.pick(blobs)
      : random.chance(0.5)
        ? mutate(random, random.pick(blobs))
        : random.bytes(random.int(0, 120));
  const data = () => random.bytes(random.chance(0.02) ? random.int(100_000, 250_000) : random.int(0, 2_048));
  const flags = () => (random.chance(0.8) ? random.pick(FLAGS) : random.int(0, 0xffffffff));
  switch (random.int(0, 9)) {
    case 0:
    case 1:
      return agentMessage(
        AGENT_MSG.REQUEST_IDENTITIES,
        ...(random.chance(0.1) ? [random.bytes(random.int(1, 16))] : []),
      );
    case 2:
    case 3:
    case 4:
      return signRequest(blob(), data(), flags());
    case 5: {
      // A sign request whose body is mutated (and so framed with the right length again).
      const body = mutate(random, signRequest(blob(), data(), flags()).subarray(5));
      return agentMessage(AGENT_MSG.SIGN_REQUEST, body);
    }
    case 6:
      return agentMessage(
        random.pick([
          AGENT_MSG.ADD_IDENTITY,
          25,
          AGENT_MSG.REMOVE_IDENTITY,
          AGENT_MSG.REMOVE_ALL_IDENTITIES,
          20,
          21,
          26,
        ]),
        random.bytes(random.int(0, 300)),
      );
    case 7:
      return agentMessage(random.pick([AGENT_MSG.LOCK, AGENT_MSG.UNLOCK]), sshString(random.bytes(random.int(0, 40))));
    case 8:
      return agentMessage(
        AGENT_MSG.EXTENSION,
        sshString(random.pick(['query', 'session-bind@openssh.com', 'x'])),
        random.bytes(random.int(0, 200)),
      );
    default:
      return agentMessage(random.int(0, 255), random.bytes(random.int(0, 64)));
  }
}

const LENGTH_LIES = [0, 1, 5, AGENT_MAX_MESSAGE, AGENT_MAX_MESSAGE + 1, 0x7fffffff, 0xffffffff];

/**
 * `count` cases, each one connection that half-closes after its bytes: an agent connection
 * rightly stays open while its client does (ssh keeps one for a whole session), so "ends" means
 * every complete request answered and the connection closed after the client's EOF.
 */
export function* agentCases(random: Random, count: number, blobs: readonly Buffer[]): Generator<FuzzCase> {
  for (let i = 0; i < count; i++) {
    const messages = Array.from({ length: random.int(1, 6) }, () => oneMessage(random, blobs));
    const kind = random.next();
    let bytes: Buffer;
    if (kind < 0.1) bytes = random.bytes(random.int(0, 300));
    else if (kind < 0.7) bytes = Buffer.concat(messages);
    else if (kind < 0.85) bytes = mutate(random, Buffer.concat(messages));
    else {
      // A framing lie in the middle of otherwise good messages.
      const lie = Buffer.from(random.pick(messages));
      lie.writeUInt32BE(random.chance(0.6) ? random.pick(LENGTH_LIES) : random.int(0, lie.length * 2), 0);
      bytes = Buffer.concat([
        ...messages.slice(0, random.int(0, messages.length)),
        lie,
        random.bytes(random.int(0, 64)),
      ]);
    }
    yield { bytes, end: true, pieces: random.chance(0.2) ? random.int(2, 8) : 1 };
  }
}
