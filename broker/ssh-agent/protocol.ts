// The ssh-agent wire protocol (draft-miller-ssh-agent): length-prefixed messages, of which
// this agent answers REQUEST_IDENTITIES and SIGN_REQUEST and refuses every other with FAILURE.
import { SshReader, sshString, sshUint32 } from '../ssh';

export const AGENT = {
  FAILURE: 5,
  SUCCESS: 6,
  REQUEST_IDENTITIES: 11,
  IDENTITIES_ANSWER: 12,
  SIGN_REQUEST: 13,
  SIGN_RESPONSE: 14,
  ADD_IDENTITY: 17,
  REMOVE_IDENTITY: 18,
  REMOVE_ALL_IDENTITIES: 19,
  ADD_SMARTCARD_KEY: 20,
  REMOVE_SMARTCARD_KEY: 21,
  LOCK: 22,
  UNLOCK: 23,
  ADD_ID_CONSTRAINED: 25,
  ADD_SMARTCARD_KEY_CONSTRAINED: 26,
  EXTENSION: 27,
} as const;

/** SIGN_REQUEST flags for RSA keys. */
export const SIGN_FLAG = { RSA_SHA2_256: 2, RSA_SHA2_512: 4 } as const;

/** OpenSSH's agent caps a message at 256 KiB; anything larger is an attack or a bug. */
export const MAX_MESSAGE = 256 * 1024;

export class AgentProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentProtocolError';
  }
}

/** Splits a byte stream into agent messages (type byte + body). */
export function createMessageReader(onMessage: (type: number, body: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (length === 0 || length > MAX_MESSAGE)
        throw new AgentProtocolError(`agent message of ${length} bytes (at most ${MAX_MESSAGE})`);
      if (buffered.length < 4 + length) return;
      const message = buffered.subarray(4, 4 + length);
      buffered = buffered.subarray(4 + length);
      onMessage(message[0]!, message.subarray(1));
    }
  };
}

export function frame(type: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from([type]), ...parts]);
  return Buffer.concat([sshUint32(body.length), body]);
}

export const failure = (): Buffer => frame(AGENT.FAILURE);

export function identitiesAnswer(identities: readonly { blob: Buffer; comment: string }[]): Buffer {
  return frame(
    AGENT.IDENTITIES_ANSWER,
    sshUint32(identities.length),
    ...identities.flatMap((i) => [sshString(i.blob), sshString(i.comment)]),
  );
}

export function signResponse(signatureBlob: Buffer): Buffer {
  return frame(AGENT.SIGN_RESPONSE, sshString(signatureBlob));
}

export interface SignRequest {
  readonly keyBlob: Buffer;
  readonly data: Buffer;
  readonly flags: number;
}

export function parseSignRequest(body: Buffer): SignRequest {
  const reader = new SshReader(body, 'sign request');
  const keyBlob = reader.bytes('key blob');
  const data = reader.bytes('data');
  const flags = reader.uint32('flags');
  reader.end();
  return { keyBlob, data, flags };
}
