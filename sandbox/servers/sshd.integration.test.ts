import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStillRunning, processTree } from './pids';
import { isPortOpen } from './ports';
import { createTempDir, removeTempDir } from './process';
import {
  createSshKeyPair,
  createSshUserCa,
  signUserKey,
  startSshd,
  type SshdServer,
  type SshKeyPair,
  type SshUserCa,
} from './sshd';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as NodeJS.ErrnoException).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

/** The OpenSSH client options every test uses: no user config, strict host key checking. */
function clientOptions(
  server: SshdServer,
  knownHostsFile: string,
  key: SshKeyPair,
  certificateFile?: string,
): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    key.privateKeyFile,
    ...(certificateFile ? ['-o', `CertificateFile=${certificateFile}`] : []),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
  ];
}

function createTempDirIn(parent: string, name: string): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir);
  return dir;
}

describe('startSshd with a trusted user CA', () => {
  let keysDir: string;
  let server: SshdServer;
  let knownHosts: string;
  let signedKey: SshKeyPair;
  let certificateFile: string;
  let unsignedKey: SshKeyPair;
  let ca: SshUserCa;

  beforeAll(async () => {
    keysDir = createTempDir('sshd-test');
    ca = await createSshUserCa(keysDir);
    server = await startSshd({ trustedUserCaKeys: [ca.publicKey] });
    signedKey = await createSshKeyPair(keysDir, { name: 'signed' });
    ({ certificateFile } = await signUserKey(ca, signedKey.publicKeyFile, {
      principals: [server.user],
      identity: 'sshd-test',
    }));
    unsignedKey = await createSshKeyPair(keysDir, { name: 'unsigned' });
    knownHosts = path.join(keysDir, 'known_hosts');
    fs.writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  });
  afterAll(async () => {
    await server?.stop();
    if (keysDir) removeTempDir(keysDir);
  });

  it('describes itself with a usable host key line', () => {
    expect(server.hostPublicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
    expect(server.knownHostsLine).toBe(`[127.0.0.1]:${server.port} ${server.hostPublicKey}`);
  });

  it('lets the real ssh client in with a key signed by the CA', async () => {
    const result = await run('ssh', [
      ...clientOptions(server, knownHosts, signedKey, certificateFile),
      '-p',
      String(server.port),
      `${server.user}@127.0.0.1`,
      'echo hi',
    ]);
    expect(result.stderr).not.toMatch(/Permission denied/);
    expect(result.stdout.trim()).toBe('hi');
    expect(result.code).toBe(0);
    expect(fs.readFileSync(server.logFile, 'utf8')).toMatch(
      /Accepted publickey for \S+ from 127\.0\.0\.1.*ID sshd-test/,
    );
  });

  it('refuses an unsigned key', async () => {
    const result = await run('ssh', [
      ...clientOptions(server, knownHosts, unsignedKey),
      '-p',
      String(server.port),
      `${server.user}@127.0.0.1`,
      'echo hi',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('hi');
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('refuses a certificate from an untrusted CA', async () => {
    const untrustedCa = await createSshUserCa(createTempDirIn(keysDir, 'untrusted-ca'));
    const key = await createSshKeyPair(keysDir, { name: 'untrusted-signed' });
    const cert = await signUserKey(untrustedCa, key.publicKeyFile, {
      principals: [server.user],
      identity: 'untrusted',
    });
    const result = await run('ssh', [
      ...clientOptions(server, knownHosts, key, cert.certificateFile),
      '-p',
      String(server.port),
      `${server.user}@127.0.0.1`,
      'echo hi',
    ]);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('refuses a certificate from the trusted CA issued for another user', async () => {
    const key = await createSshKeyPair(keysDir, { name: 'other-principal' });
    const cert = await signUserKey(ca, key.publicKeyFile, {
      principals: ['somebody-else'],
      identity: 'other-principal',
    });
    const result = await run('ssh', [
      ...clientOptions(server, knownHosts, key, cert.certificateFile),
      '-p',
      String(server.port),
      `${server.user}@127.0.0.1`,
      'echo hi',
    ]);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('refuses the client when the host key does not match known_hosts', async () => {
    const wrongKnownHosts = path.join(keysDir, 'wrong_known_hosts');
    const other = await createSshKeyPair(keysDir, { name: 'not-the-host' });
    fs.writeFileSync(wrongKnownHosts, `[127.0.0.1]:${server.port} ${other.publicKey}\n`);
    const result = await run('ssh', [
      ...clientOptions(server, wrongKnownHosts, signedKey, certificateFile),
      '-p',
      String(server.port),
      `${server.user}@127.0.0.1`,
      'echo hi',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('serves scp (sftp subsystem)', async () => {
    const source = path.join(keysDir, 'payload.txt');
    const target = path.join(keysDir, 'copied.txt');
    fs.writeFileSync(source, 'over the wire\n');
    const result = await run('scp', [
      ...clientOptions(server, knownHosts, signedKey, certificateFile),
      '-P',
      String(server.port),
      source,
      `${server.user}@127.0.0.1:${target}`,
    ]);
    expect(result.stderr).toBe('');
    expect(fs.readFileSync(target, 'utf8')).toBe('over the wire\n');
  });
});

describe('startSshd with authorized keys', () => {
  it('lets a listed plain key in and refuses others', async () => {
    const keysDir = createTempDir('sshd-test');
    const listed = await createSshKeyPair(keysDir, { name: 'listed' });
    const stranger = await createSshKeyPair(keysDir, { name: 'stranger' });
    const server = await startSshd({ authorizedKeys: [listed.publicKey] });
    try {
      const knownHosts = path.join(keysDir, 'known_hosts');
      fs.writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
      const target = `${server.user}@127.0.0.1`;
      const ok = await run('ssh', [
        ...clientOptions(server, knownHosts, listed),
        '-p',
        String(server.port),
        target,
        'echo hi',
      ]);
      expect(ok.stdout.trim()).toBe('hi');
      const refused = await run('ssh', [
        ...clientOptions(server, knownHosts, stranger),
        '-p',
        String(server.port),
        target,
        'echo hi',
      ]);
      expect(refused.stderr).toMatch(/Permission denied \(publickey\)/);
    } finally {
      await server.stop();
      removeTempDir(keysDir);
    }
  });

  it('rejects a malformed key line before starting', async () => {
    await expect(startSshd({ authorizedKeys: ['not a key'] })).rejects.toThrow(
      /authorizedKeys\[0\] must be one OpenSSH public key line/,
    );
    await expect(startSshd({ trustedUserCaKeys: ['ssh-ed25519 AAAA\nssh-ed25519 BBBB'] })).rejects.toThrow(
      /trustedUserCaKeys\[0\]/,
    );
  });
});

describe('SshdServer.stop', () => {
  it('ends open sessions, closes the port and removes its files', async () => {
    const keysDir = createTempDir('sshd-test');
    const key = await createSshKeyPair(keysDir, { name: 'id' });
    const server = await startSshd({ authorizedKeys: [key.publicKey] });
    const knownHosts = path.join(keysDir, 'known_hosts');
    fs.writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
    const session = spawn(
      'ssh',
      [
        ...clientOptions(server, knownHosts, key),
        '-p',
        String(server.port),
        `${server.user}@127.0.0.1`,
        'echo started; sleep 300',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const sessionEnded = new Promise((resolve) => session.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        session.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
        session.once('exit', () => reject(new Error('ssh session ended before it started')));
      });
      const serverProcesses = processTree(server.pid);
      expect(serverProcesses.length).toBeGreaterThan(1); // the listener plus the session's processes

      await server.stop();
      await sessionEnded;
      // A killed session's processes take a moment to be reaped on a busy machine.
      await expect.poll(() => serverProcesses.filter(isStillRunning), { timeout: 5_000 }).toEqual([]);
      expect(await isPortOpen(server.port)).toBe(false);
      expect(fs.existsSync(path.dirname(server.logFile))).toBe(false);
    } finally {
      session.kill('SIGKILL');
      await server.stop();
      removeTempDir(keysDir);
    }
  });
});
