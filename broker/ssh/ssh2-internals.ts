// The three things Sesame needs that ssh2 1.x has no public API for, kept in one place:
//  1. publickey user auth where the key sent is not the signing key's own blob (an OpenSSH
//     certificate) and the signature algorithm differs from the request's algorithm
//     (`ssh-ed25519-cert-v01@openssh.com` request, `ssh-ed25519` signature). ssh2's
//     Protocol.authPK writes one algorithm name in both places, which sshd rejects.
//  2. a USERAUTH_BANNER with text chosen during authentication (ssh2 only sends a fixed one);
//  3. a DISCONNECT that carries a description (ssh2 sends an empty one).
// All three build an SSH payload and hand it to ssh2's own packet writer, so encryption,
// compression, sequence numbers and rekey queueing stay ssh2's.
import { createRequire } from 'node:module';
import ssh2, { type Client, type Connection } from 'ssh2';
import { publicKeyLine } from './keys';
import { sshString, sshUint32 } from './encoding';

const MESSAGE = { DISCONNECT: 1, USERAUTH_REQUEST: 50, USERAUTH_BANNER: 53 } as const;
export const DISCONNECT_REASON = {
  PROTOCOL_ERROR: 2,
  HOST_NOT_ALLOWED: 1,
  BY_APPLICATION: 11,
  NO_MORE_AUTH_METHODS: 14,
  SERVICE_NOT_AVAILABLE: 7,
} as const;

interface PacketWriter {
  allocStart: number;
  alloc(size: number): Buffer;
  finalize(packet: Buffer): Buffer;
}
interface ProtocolInternals {
  _kex?: { sessionID?: Buffer };
  _packetRW?: { write?: PacketWriter };
  _authsQueue?: string[];
  authPK: (username: string, key: unknown, keyAlgo?: unknown, cbSign?: unknown) => void;
}

const require = createRequire(import.meta.url);
const { sendPacket } = require('ssh2/lib/protocol/utils.js') as {
  sendPacket: (proto: ProtocolInternals, packet: Buffer) => boolean;
};
const { bindingAvailable } = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean };

/**
 * Ciphers to offer local clients. Without ssh2's optional native binding, chacha20-poly1305 and
 * aes-ctr (+HMAC) run partly in JS at a fraction of OpenSSH's speed, and OpenSSH clients prefer
 * both over AES-GCM; offering only AES-GCM then keeps the relay fast (node's OpenSSL does GCM).
 * With the binding, ssh2's defaults are fast and most compatible.
 */
export function defaultLocalCiphers(): string[] | undefined {
  return bindingAvailable ? undefined : ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
}

function protocolOf(endpoint: Client | Connection): ProtocolInternals {
  const proto = (endpoint as unknown as { _protocol?: ProtocolInternals })._protocol;
  if (!proto || !proto._packetRW?.write || typeof proto.authPK !== 'function') {
    throw new Error('this ssh2 version does not have the internals Sesame relies on (ssh2 1.x expected)');
  }
  return proto;
}

function sendPayload(proto: ProtocolInternals, payload: Buffer): void {
  const writer = proto._packetRW!.write!;
  const packet = writer.alloc(payload.length);
  payload.copy(packet, writer.allocStart);
  sendPacket(proto, writer.finalize(packet));
}

/** Signs a publickey userauth request with a key Sesame holds (plain key or certificate). */
export interface PublicKeySigner {
  /** The algorithm named in the request: `ssh-ed25519`, `rsa-sha2-512`, `…-cert-v01@openssh.com`. */
  readonly algorithm: string;
  /** The blob sent as the public key: the plain key, or the whole certificate. */
  readonly publicBlob: Buffer;
  /** The plain public key blob of the signing key. */
  readonly keyBlob: Buffer;
  /** The SSH signature blob over `data`. */
  sign(data: Buffer): Buffer;
}

const signers = new WeakMap<object, PublicKeySigner>();
const patched = new WeakSet<object>();

/**
 * A `key` for ssh2's `{ type: 'publickey', username, key }` auth method that makes `client`
 * sign through `signer`. Call it from the authHandler (the protocol exists by then).
 */
export function signerKey(client: Client, signer: PublicKeySigner): unknown {
  const proto = protocolOf(client);
  if (!patched.has(proto)) {
    patched.add(proto);
    const original = proto.authPK;
    proto.authPK = function authPK(this: ProtocolInternals, username, key, keyAlgo, cbSign) {
      const own = key && typeof key === 'object' ? signers.get(key) : undefined;
      if (!own) return original.call(this, username, key, keyAlgo, cbSign);
      const signing = typeof keyAlgo === 'function' || typeof cbSign === 'function';
      const request = (withSignature: boolean) =>
        Buffer.concat([
          Buffer.from([MESSAGE.USERAUTH_REQUEST]),
          sshString(username),
          sshString('ssh-connection'),
          sshString('publickey'),
          Buffer.from([withSignature ? 1 : 0]),
          sshString(own.algorithm),
          sshString(own.publicBlob),
        ]);
      if (!signing) {
        this._authsQueue?.push('publickey');
        return sendPayload(this, request(false));
      }
      const sessionId = this._kex?.sessionID;
      if (!sessionId) throw new Error('no SSH session id yet');
      const body = request(true);
      const signature = own.sign(Buffer.concat([sshString(sessionId), body]));
      this._authsQueue?.push('publickey');
      sendPayload(this, Buffer.concat([body, sshString(signature)]));
    };
  }
  // ssh2 only accepts keys its own parser made; a parse of the plain public key is the base
  // and the fields ssh2 reads (type, public blob, private-ness) come from the signer.
  const base = ssh2.utils.parseKey(publicKeyLine(signer.keyBlob));
  if (!base || base instanceof Error || Array.isArray(base)) throw new Error('ssh2 cannot parse the signing key type');
  const key = Object.create(base, {
    type: { value: signer.algorithm },
    getPublicSSH: { value: () => signer.publicBlob },
    isPrivateKey: { value: () => true },
    sign: { value: (data: Buffer) => signer.sign(data) },
  }) as object;
  signers.set(key, signer);
  return key;
}

/** Shows `text` to the client during authentication (OpenSSH prints it on stderr). */
export function sendAuthBanner(connection: Connection, text: string): void {
  const message = text.endsWith('\r\n') ? text : `${text.replace(/\n?$/, '')}\r\n`;
  sendPayload(
    protocolOf(connection),
    Buffer.concat([Buffer.from([MESSAGE.USERAUTH_BANNER]), sshString(message), sshString('')]),
  );
}

/** Disconnect with a description the client prints ("Received disconnect …: <text>"). */
export function disconnectWithMessage(connection: Connection, reason: number, text: string): void {
  const proto = protocolOf(connection);
  sendPayload(
    proto,
    Buffer.concat([Buffer.from([MESSAGE.DISCONNECT]), sshUint32(reason), sshString(text.slice(0, 400)), sshString('')]),
  );
}

interface ServerChannelInternals {
  outgoing: { id: number; state: string };
  _client: {
    _protocol: {
      exitStatus(id: number, code: number): void;
      exitSignal(id: number, name: string, dumped: boolean, msg: string): void;
    };
  };
}

/**
 * Sends exit-status / exit-signal on a server channel that may already have sent EOF: ssh2's
 * `exit()` refuses after EOF, while OpenSSH's order is data, EOF, exit-status, close.
 */
export function sendExit(
  channel: unknown,
  exit: { code: number } | { signal: string; dumped: boolean; message: string },
): void {
  const internals = channel as ServerChannelInternals;
  const state = internals.outgoing?.state;
  if (state !== 'open' && state !== 'eof') return;
  const proto = internals._client._protocol;
  if ('code' in exit) proto.exitStatus(internals.outgoing.id, exit.code);
  else proto.exitSignal(internals.outgoing.id, exit.signal, exit.dumped, exit.message);
}

/** Sends one raw SSH payload on a connection (tests use it to speak what OpenSSH never sends). */
export function sendRawPayload(endpoint: Client | Connection, payload: Buffer): void {
  sendPayload(protocolOf(endpoint), payload);
}
