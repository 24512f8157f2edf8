// Upstream logins other than certificates (a private key, an encrypted private key, a
// password), a rotated key fetched again once, and the local side: a required client key and
// a session limit.
import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSshKeyPair,
  createTempDir,
  removeTempDir,
  runCommand,
  startSshd,
  type SshdServer,
  type SshKeyPair,
} from '../../sandbox/servers';
import type { CredentialFetcher } from '../connector';
import { createLiteralFetcher } from '../credentials';
import { createSshConnector, createSshHostKey, type SshConnectorOptions } from './index';
import { isolatedSshOptions, listenForTests, runTool, writeKnownHosts, type TestListener } from './testing';

let dir: string;
let sshd: SshdServer;
let authorized: SshKeyPair;
let encryptedKeyFile: string;
const listeners: TestListener[] = [];

beforeAll(async () => {
  dir = createTempDir('ssh-login');
  authorized = await createSshKeyPair(dir, { name: 'authorized' });
  encryptedKeyFile = path.join(dir, 'encrypted');
  await runCommand(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', 'correct horse', '-C', 'encrypted', '-f', encryptedKeyFile],
    { what: 'ssh-keygen' },
  );
  sshd = await startSshd({
    authorizedKeys: [authorized.publicKey, fs.readFileSync(`${encryptedKeyFile}.pub`, 'utf8').trim()],
  });
});

afterAll(async () => {
  for (const listener of listeners) await listener.close();
  await sshd?.stop();
  if (dir) removeTempDir(dir);
});

async function serve(
  credentials: CredentialFetcher,
  options: Partial<SshConnectorOptions> = {},
  port = sshd.port,
  hostPublicKey = sshd.hostPublicKey,
) {
  const hostKey = createSshHostKey();
  const connector = createSshConnector({
    target: { host: '127.0.0.1', port, user: 'root', hostKey: hostPublicKey },
    hostKey: hostKey.privateKey,
    ...options,
  });
  const listener = await listenForTests(connector, credentials, 'bastion');
  listeners.push(listener);
  const knownHosts = writeKnownHosts(dir, listener.port, hostKey.publicKey, `known_hosts_${listener.port}`);
  const ssh = (extra: string[], command: string, input?: string) =>
    runTool('ssh', [...isolatedSshOptions(knownHosts, extra), '-p', String(listener.port), 'root@127.0.0.1', command], {
      input,
    });
  return { ssh, listener };
}

describe('upstream login with a private key', () => {
  it('logs in with an OpenSSH private key from the credential', async () => {
    const { ssh } = await serve(
      createLiteralFetcher({ private_key: fs.readFileSync(authorized.privateKeyFile, 'utf8') }),
    );
    const result = await ssh([], 'echo key-login');
    expect(result.stdout, result.stderr).toBe('key-login\n');
    expect(fs.readFileSync(sshd.logFile, 'utf8')).toMatch(/Accepted publickey for root .* ED25519 /);
  });

  it('decrypts a passphrase-protected key, and names a wrong passphrase without showing it', async () => {
    const privateKey = fs.readFileSync(encryptedKeyFile, 'utf8');
    const good = await serve(createLiteralFetcher({ private_key: privateKey, passphrase: 'correct horse' }));
    expect((await good.ssh([], 'echo decrypted')).stdout).toBe('decrypted\n');
    const bad = await serve(createLiteralFetcher({ private_key: privateKey, passphrase: 'battery staple' }));
    const result = await bad.ssh([], 'echo never');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      'the private_key from literal values from the config could not be read: a wrong or missing passphrase',
    );
    expect(result.stderr).not.toContain('battery');
  });

  it('fetches the credential again once when the target refuses it (rotation)', async () => {
    const stale = await createSshKeyPair(dir, { name: 'stale' });
    const calls: boolean[] = [];
    const rotating: CredentialFetcher = {
      description: 'vault-kv secret/data/bastion-key',
      async get(options) {
        calls.push(options?.refresh === true);
        const file = options?.refresh ? authorized.privateKeyFile : stale.privateKeyFile;
        return { path: 'secret/data/bastion-key', values: { private_key: fs.readFileSync(file, 'utf8') } };
      },
    };
    const { ssh } = await serve(rotating);
    expect((await ssh([], 'echo rotated')).stdout).toBe('rotated\n');
    expect(calls).toEqual([false, true]);
  });

  it('tells the user which credential the target refused', async () => {
    const stranger = await createSshKeyPair(dir, { name: 'stranger' });
    const { ssh } = await serve(
      createLiteralFetcher({ private_key: fs.readFileSync(stranger.privateKeyFile, 'utf8') }),
    );
    const result = await ssh([], 'echo never');
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/refused the login as root with the private key from literal values from the config/);
  });
});

describe('upstream login with a password', () => {
  it('logs in with the password (an ssh2 server that only takes passwords)', async () => {
    const targetKey = createSshHostKey();
    const server = new ssh2.Server({ hostKeys: [targetKey.privateKey] }, (client) => {
      client.on('error', () => {});
      client.on('authentication', (ctx) => {
        if (ctx.method === 'password' && ctx.username === 'root' && ctx.password === 'open sesame') return ctx.accept();
        ctx.reject(['password']);
      });
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          channel.write(`password-login ran: ${info.command}\n`);
          channel.exit(0);
          channel.end();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const { ssh } = await serve(createLiteralFetcher({ password: 'open sesame' }), {}, port, targetKey.publicKey);
      const result = await ssh([], 'uptime');
      expect(result.stdout, result.stderr).toBe('password-login ran: uptime\n');
      expect(result.code).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('local client side', () => {
  it('requires the configured client key when clientAuth is set', async () => {
    const clientKey = await createSshKeyPair(dir, { name: 'client' });
    const { ssh } = await serve(
      createLiteralFetcher({ private_key: fs.readFileSync(authorized.privateKeyFile, 'utf8') }),
      {
        clientAuth: { publicKeys: [clientKey.publicKey] },
      },
    );
    const withKey = await ssh(['-o', `IdentityFile=${clientKey.privateKeyFile}`], 'echo with-key');
    expect(withKey.stdout).toBe('with-key\n');
    const other = await createSshKeyPair(dir, { name: 'other-client' });
    const withOther = await ssh(['-o', `IdentityFile=${other.privateKeyFile}`], 'echo never');
    expect(withOther.code).toBe(255);
    expect(withOther.stderr).toContain('Permission denied (publickey)');
  });

  it('lets a client in that offers its own key instead of trying "none" first', async () => {
    const clientKey = await createSshKeyPair(dir, { name: 'pk-first' });
    const { listener } = await serve(
      createLiteralFetcher({ private_key: fs.readFileSync(authorized.privateKeyFile, 'utf8') }),
    );
    const client = new ssh2.Client();
    const output = await new Promise<string>((resolve, reject) => {
      client.once('error', reject);
      client.once('ready', () =>
        client.exec('echo pk-first', (err, channel) => {
          if (err) return reject(err);
          let text = '';
          channel.on('data', (chunk: Buffer) => (text += chunk.toString()));
          channel.on('close', () => resolve(text));
        }),
      );
      client.connect({
        host: '127.0.0.1',
        port: listener.port,
        username: 'root',
        privateKey: fs.readFileSync(clientKey.privateKeyFile),
        authHandler: ['publickey'],
        hostVerifier: () => true,
      });
    }).finally(() => client.end());
    expect(output).toBe('pk-first\n');
  });

  it('ends live sessions with a message when the connection is turned off', async () => {
    const hostKey = createSshHostKey();
    const connector = createSshConnector({
      target: { host: '127.0.0.1', port: sshd.port, user: 'root', hostKey: sshd.hostPublicKey },
      hostKey: hostKey.privateKey,
    });
    const listener = await listenForTests(
      connector,
      createLiteralFetcher({ private_key: fs.readFileSync(authorized.privateKeyFile, 'utf8') }),
      'bastion',
    );
    const knownHosts = writeKnownHosts(dir, listener.port, hostKey.publicKey, 'known_hosts_off');
    let started!: () => void;
    const output = new Promise<void>((resolve) => (started = resolve));
    const running = runTool(
      'ssh',
      [...isolatedSshOptions(knownHosts), '-p', String(listener.port), 'root@127.0.0.1', 'echo started; sleep 30'],
      {
        onSpawn: (child) => child.stdout!.on('data', () => started()),
      },
    );
    await output;
    await listener.close();
    const result = await running;
    expect(result.stdout, result.stderr).toBe('started\n');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("Sesame (bastion): connection 'bastion' was turned off");
  });

  it('refuses sessions beyond maxSessions with a message', async () => {
    const hostKey = createSshHostKey();
    const connector = createSshConnector({
      target: { host: '127.0.0.1', port: sshd.port, user: 'root', hostKey: sshd.hostPublicKey, maxSessions: 1 },
      hostKey: hostKey.privateKey,
    });
    const listener = await listenForTests(
      connector,
      createLiteralFetcher({ private_key: fs.readFileSync(authorized.privateKeyFile, 'utf8') }),
    );
    listeners.push(listener);
    const knownHosts = writeKnownHosts(dir, listener.port, hostKey.publicKey, 'known_hosts_limit');
    const args = (command: string) => [
      ...isolatedSshOptions(knownHosts),
      '-p',
      String(listener.port),
      'root@127.0.0.1',
      command,
    ];
    // The first session holds its slot until its stdin closes.
    const first = runTool('ssh', args('echo holding; cat >/dev/null'), { keepStdinOpenMs: 3_000 });
    for (let i = 0; i < 100 && connector.activeClients === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await runTool('ssh', args('echo never'));
    expect(second.code).toBe(255);
    expect(second.stderr).toContain('too many sessions: at most 1 at once');
    expect((await first).stdout).toBe('holding\n');
  });
});
