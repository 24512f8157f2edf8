// Bad input at the local endpoint: a client that does not speak SSH, one that breaks the
// protocol after its identification, an unknown channel type, and a credential source that
// fails. Each is answered cleanly and the listener goes on serving the next client.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshKeyPair, createTempDir, removeTempDir, startSshd, type SshdServer } from '../../sandbox/servers';
import type { CredentialFetcher } from '../connector';
import { CredentialError } from '../credentials';
import {
  createSshConnector,
  createSshHostKey,
  parsePublicKeyLine,
  sshString,
  sshUint32,
  type SshHostKey,
} from './index';
import { sendRawPayload } from './ssh2-internals';
import { isolatedSshOptions, listenForTests, runTool, writeKnownHosts, type TestListener } from './testing';

let dir: string;
let sshd: SshdServer;
let hostKey: SshHostKey;
let listener: TestListener;
let knownHosts: string;
let failing = false;

beforeAll(async () => {
  dir = createTempDir('ssh-bad-input');
  const key = await createSshKeyPair(dir, { name: 'authorized' });
  sshd = await startSshd({ authorizedKeys: [key.publicKey] });
  hostKey = createSshHostKey();
  const credentials: CredentialFetcher = {
    description: 'vault-kv secret/data/bastion-key',
    async get() {
      if (failing)
        throw new CredentialError('vault', 'Vault at http://127.0.0.1:1 is unreachable (ECONNREFUSED)', 'unreachable');
      return { path: 'secret/data/bastion-key', values: { private_key: fs.readFileSync(key.privateKeyFile, 'utf8') } };
    },
  };
  const connector = createSshConnector({
    target: { host: '127.0.0.1', port: sshd.port, user: 'root', hostKey: sshd.hostPublicKey },
    hostKey: hostKey.privateKey,
  });
  listener = await listenForTests(connector, credentials, 'bastion');
  knownHosts = writeKnownHosts(dir, listener.port, hostKey.publicKey);
});

afterAll(async () => {
  await listener?.close();
  await sshd?.stop();
  if (dir) removeTempDir(dir);
});

const stillServes = async () => {
  const result = await runTool('ssh', [
    ...isolatedSshOptions(knownHosts),
    '-p',
    String(listener.port),
    'root@127.0.0.1',
    'echo still-serving',
  ]);
  expect(result.stdout, result.stderr).toBe('still-serving\n');
};

/** Writes `bytes` to the endpoint and collects what comes back until it closes. */
function rawExchange(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(listener.port, '127.0.0.1');
    let answer = '';
    const guard = setTimeout(
      () => reject(new Error(`the endpoint kept a garbage client open; got ${JSON.stringify(answer)}`)),
      20_000,
    );
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(answer);
    });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

describe('bad input', () => {
  it('closes on a client that does not speak SSH, then serves the next one', async () => {
    const answer = await rawExchange(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    expect(answer.startsWith('SSH-2.0-Sesame')).toBe(true);
    await stillServes();
  });

  it('closes on protocol garbage after a valid identification, then serves the next one', async () => {
    const answer = await rawExchange(Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'), randomBytes(4096)]));
    expect(answer.startsWith('SSH-2.0-Sesame')).toBe(true);
    await stillServes();
    expect(listener.serveErrors).toEqual([]);
  });

  it('answers an unknown channel type with "unknown channel type" and keeps the session', async () => {
    const client = new ssh2.Client();
    const expected = parsePublicKeyLine(hostKey.publicKey, 'host key').blob;
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
      client.connect({
        host: '127.0.0.1',
        port: listener.port,
        username: 'root',
        hostVerifier: (key: Buffer) => key.equals(expected),
      });
    });
    try {
      // ssh2 has no API to open an arbitrary channel type: register a pending channel and send
      // CHANNEL_OPEN by hand; the failure comes back through ssh2's channel manager.
      const failure = await new Promise<Error & { reason?: number }>((resolve) => {
        const channels = (client as unknown as { _chanMgr: { add(cb: (err: Error) => void): number } })._chanMgr;
        const id = channels.add((err) => resolve(err));
        sendRawPayload(
          client,
          Buffer.concat([
            Buffer.from([90]),
            sshString('x-bogus@example.com'),
            sshUint32(id),
            sshUint32(2 * 1024 * 1024),
            sshUint32(32 * 1024),
          ]),
        );
      });
      expect(failure.reason).toBe(3); // SSH_OPEN_UNKNOWN_CHANNEL_TYPE
      const output = await new Promise<string>((resolve, reject) => {
        client.exec('echo session-survives', (err, channel) => {
          if (err) return reject(err);
          let text = '';
          channel.on('data', (chunk: Buffer) => (text += chunk.toString()));
          channel.on('close', () => resolve(text));
        });
      });
      expect(output).toBe('session-survives\n');
    } finally {
      client.end();
    }
  });

  it('disconnects with the reason when the credential source fails, then serves the next one', async () => {
    failing = true;
    try {
      const result = await runTool('ssh', [
        ...isolatedSshOptions(knownHosts),
        '-p',
        String(listener.port),
        'root@127.0.0.1',
        'echo never',
      ]);
      expect(result.code).toBe(255);
      expect(result.stderr).toContain(
        'Sesame (bastion): could not get the credential from vault-kv secret/data/bastion-key: Vault at http://127.0.0.1:1 is unreachable (ECONNREFUSED)',
      );
      expect(result.stderr).toMatch(/Received disconnect from 127\.0\.0\.1 port \d+:14: Sesame \(bastion\)/);
    } finally {
      failing = false;
    }
    await stillServes();
  });
});
