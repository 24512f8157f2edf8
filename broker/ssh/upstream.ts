// The broker's own SSH client toward the target: verifies the host key, then logs in with what
// the credential holds: a certificate + its private key, a private key, or a password.
import net from 'node:net';
import ssh2, { type AuthenticationType, type Client, type NextAuthHandler } from 'ssh2';
import type { Credential } from '../connector';
import type { Logger } from '../log';
import { isValidAt, parseCertificateLine, samePublicKey } from './certificate';
import { coalesceWrites } from './coalesce';
import {
  AbortedError,
  BackendRefusedError,
  BackendUnreachableError,
  ClientConnectionError,
  CredentialError,
} from '../connector-kit';
import { describeConnectError, SSH_CODES, type SshClientError } from './errors';
import type { HostVerifier, HostKeyDecision } from './host-verify';
import { loadPrivateKey, signatureAlgorithmsFor, SshKeyError } from './keys';
import { signerKey, type PublicKeySigner } from './ssh2-internals';
import type { ResolvedSshTarget } from './target';
import { WireError } from './encoding';

export interface UpstreamLogin {
  readonly user: string;
  readonly credential: Credential;
  /** Where the credential came from, for messages: `vault-ssh-sign ssh/sign/dev`. */
  readonly source: string;
}

interface LoginMethods {
  readonly signer?: PublicKeySigner;
  readonly what: string;
  readonly password?: string;
}

/** A credential that cannot log in: its failure kind is 'credential'. */
const unusable = (message: string) =>
  new CredentialError('unusable', message, undefined, { code: SSH_CODES.credential });

/** What the credential offers for login; throws a CredentialError when unusable. */
export function loginMethods(credential: Credential, source: string): LoginMethods {
  const { private_key: privateKeyText, passphrase, certificate, password } = credential.values;
  try {
    if (certificate) {
      if (!privateKeyText) throw unusable(`the credential from ${source} has a certificate but no private_key`);
      const key = loadPrivateKey(privateKeyText, passphrase, `the private_key from ${source}`);
      const cert = parseCertificateLine(certificate, `the certificate from ${source}`);
      if (!samePublicKey(cert.publicKeyBlob, key.publicBlob)) {
        throw unusable(`the certificate from ${source} does not certify its private_key`);
      }
      if (!isValidAt(cert, new Date())) {
        throw unusable(
          `the certificate from ${source} is expired or not yet valid (valid until ${cert.validBefore?.toISOString() ?? 'forever'})`,
        );
      }
      // RSA certificates are named by the signature algorithm used (PROTOCOL.certkeys).
      const rsa = key.keyType === 'ssh-rsa';
      const signer: PublicKeySigner = {
        algorithm: rsa ? 'rsa-sha2-512-cert-v01@openssh.com' : cert.certType,
        publicBlob: cert.blob,
        keyBlob: key.publicBlob,
        sign: (data) => key.sign(data, rsa ? 'rsa-sha2-512' : undefined),
      };
      return { signer, what: `the certificate (${cert.keyId || `serial ${cert.serial}`})`, password };
    }
    if (privateKeyText) {
      const key = loadPrivateKey(privateKeyText, passphrase, `the private_key from ${source}`);
      const algorithm = signatureAlgorithmsFor(key.keyType)[0]!;
      const signer: PublicKeySigner = {
        algorithm,
        publicBlob: key.publicBlob,
        keyBlob: key.publicBlob,
        sign: (data) => key.sign(data, algorithm),
      };
      return { signer, what: 'the private key', password };
    }
  } catch (error) {
    if (error instanceof SshKeyError || error instanceof WireError) throw unusable(error.message);
    throw error;
  }
  if (password) return { what: 'the password', password };
  throw unusable(`the credential from ${source} has none of certificate, private_key or password`);
}

export interface UpstreamOptions {
  readonly target: ResolvedSshTarget;
  readonly verifier: HostVerifier;
  readonly login: UpstreamLogin;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** Connects and logs in; resolves with a ready client, rejects with an SshClientError. */
export function connectUpstream(options: UpstreamOptions): Promise<Client> {
  const { target, verifier, login, log, signal } = options;
  const where = `${target.host} port ${target.port}`;
  const methods = loginMethods(login.credential, login.source);
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let decision: HostKeyDecision | undefined;
    let settled = false;
    let sock: net.Socket | undefined;
    const fail = (error: SshClientError) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      client.removeAllListeners('ready');
      client.on('error', () => {});
      client.end();
      sock?.destroy();
      reject(error);
    };
    const onAbort = () => fail(new AbortedError(SSH_CODES));
    signal.addEventListener('abort', onAbort, { once: true });

    const attempts: AuthenticationType[] = [];
    if (methods.signer) attempts.push('publickey');
    if (methods.password !== undefined) attempts.push('password', 'keyboard-interactive');
    const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler) => {
      while (attempts.length > 0) {
        const method = attempts.shift()!;
        if (methodsLeft && !methodsLeft.includes(method)) continue;
        if (method === 'publickey')
          return next({ type: 'publickey', username: login.user, key: signerKey(client, methods.signer!) as never });
        if (method === 'password') return next({ type: 'password', username: login.user, password: methods.password! });
        return next({
          type: 'keyboard-interactive',
          username: login.user,
          prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => methods.password!)),
        });
      }
      return next(false as never);
    };

    client.once('ready', () => {
      if (settled) return client.end();
      settled = true;
      signal.removeEventListener('abort', onAbort);
      log.debug('upstream ready', {
        host: target.host,
        port: target.port,
        user: login.user,
        hostKey: decision?.accepted ? decision.how : undefined,
      });
      resolve(client);
    });
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (settled) return;
      if (decision && !decision.accepted) return fail(new ClientConnectionError('host-key', decision.reason));
      switch (error.level) {
        case 'client-authentication':
          // Maybe a rotated secret: the credential is fetched afresh once.
          return fail(
            new BackendRefusedError(
              'auth',
              `${where} refused the login as ${login.user} with ${methods.what} from ${login.source}`,
              true,
            ),
          );
        case 'client-timeout':
          return fail(
            new ClientConnectionError(
              'timeout',
              `${where} did not complete the SSH login within ${target.timeouts.connectMs} ms`,
            ),
          );
        case 'client-socket':
        case 'client-dns':
          return fail(new BackendUnreachableError(SSH_CODES, describeConnectError(error, where)));
        default:
          return fail(new BackendUnreachableError(SSH_CODES, `${where}: SSH handshake failed (${error.message})`));
      }
    });
    client.on('close', () =>
      fail(new BackendUnreachableError(SSH_CODES, `${where} closed the connection before the login completed`)),
    );

    try {
      // Our own socket: Nagle off (ssh2 leaves it on, so small writes such as sftp read requests
      // and keystrokes would wait for ACKs) and packet bursts coalesced into one write.
      sock = coalesceWrites(new net.Socket());
      sock.setNoDelay(true);
      sock.connect({ host: target.host, port: target.port });
      client.connect({
        sock,
        host: target.host,
        port: target.port,
        username: login.user,
        ident: 'Sesame',
        readyTimeout: target.timeouts.connectMs,
        keepaliveInterval: target.keepaliveIntervalMs,
        keepaliveCountMax: target.keepaliveCountMax,
        hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
          verifier.check(key).then(
            (result) => {
              decision = result;
              if (!result.accepted)
                log.warn('upstream host key refused', { host: target.host, port: target.port, reason: result.reason });
              verify(result.accepted);
            },
            () => verify(false),
          );
        }) as never,
        authHandler: authHandler as never,
      });
    } catch (error) {
      fail(new ClientConnectionError('internal', `cannot start the SSH client: ${(error as Error).message}`));
    }
  });
}
