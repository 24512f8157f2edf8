// The SSH connector end to end with the real OpenSSH client and the sandbox sshd, logging in
// upstream with ephemeral certificates from a test CA: exec, an interactive pty under tmux,
// scp and sftp, -L and -R forwards, and many sessions at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSshUserCa,
  createTempDir,
  freePort,
  removeTempDir,
  signUserKey,
  startSshd,
  type SshdServer,
} from '../../sandbox/servers';
import { createSshConnector, createSshHostKey } from './index';
import {
  createTestCertificateSource,
  isolatedSshOptions,
  listenForTests,
  runTool,
  writeKnownHosts,
  type TestListener,
} from './testing';

let dir: string;
let sshd: SshdServer;
let listener: TestListener;
let knownHosts: string;
let issued: () => number;
const children = new Set<ChildProcess>();

const sshArgs = (...rest: string[]) => [...isolatedSshOptions(knownHosts), '-p', String(listener.port), ...rest];
const target = () => `${sshd.user}@127.0.0.1`;
const sha256File = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

beforeAll(async () => {
  dir = createTempDir('ssh-connector');
  const certificates = await createTestCertificateSource({ createTempDir, createSshUserCa, signUserKey }, dir, {
    principals: [process.env.USER ?? 'root', 'root'],
  });
  issued = certificates.issued;
  sshd = await startSshd({ trustedUserCaKeys: [certificates.caPublicKey] });
  const hostKey = createSshHostKey();
  const connector = createSshConnector({
    target: { host: '127.0.0.1', port: sshd.port, user: sshd.user, hostKey: sshd.hostPublicKey },
    hostKey: hostKey.privateKey,
  });
  expect(connector.hostKey.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  listener = await listenForTests(connector, certificates.source, 'bastion');
  knownHosts = writeKnownHosts(dir, listener.port, hostKey.publicKey);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await listener?.close();
  await sshd?.stop();
  if (dir) removeTempDir(dir);
});

/** Starts a long-running OpenSSH client; resolves once `ready(stderr)` holds. */
function spawnSsh(
  args: string[],
  ready: (stderr: string) => boolean,
): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn('ssh', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  return new Promise((resolve, reject) => {
    const check = () => ready(stderr) && resolve({ child, stderr: () => stderr });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      check();
    });
    child.once('exit', (code) => reject(new Error(`ssh exited (${code}): ${stderr}`)));
    check();
  });
}

/** A TCP server that answers each connection with the sha256 of everything it received. */
async function startHashServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((socket) => {
    const hash = createHash('sha256');
    socket.on('data', (chunk) => hash.update(chunk));
    socket.on('end', () => socket.end(hash.digest('hex')));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sends `payload` to 127.0.0.1:port, half-closes, and returns the answer. */
function sendAndHash(port: number, payload: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.end(payload);
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket.destroy() === socket));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

describe('ssh connector with certificate login', () => {
  it('runs a command: stdout, stderr and the exit status come through, no password asked', async () => {
    const result = await runTool('ssh', sshArgs(target(), 'echo out; echo err >&2; whoami; exit 7'));
    expect(result.stdout).toBe(`out\n${sshd.user}\n`);
    expect(result.stderr).toContain('err');
    expect(result.code).toBe(7);
    expect(fs.readFileSync(sshd.logFile, 'utf8')).toMatch(
      /Accepted publickey for \S+ from 127\.0\.0\.1 .*ED25519-CERT/,
    );
  });

  it('passes stdin through and delivers EOF to the remote command', async () => {
    const result = await runTool('ssh', sshArgs(target(), 'wc -c; echo done'), { input: 'x'.repeat(100_000) });
    expect(result.stdout).toBe('100000\ndone\n');
    expect(result.code).toBe(0);
  });

  it('relays a remote signal death as exit-signal', async () => {
    const result = await runTool('ssh', sshArgs('-v', target(), 'echo before; kill -TERM $$'));
    expect(result.stdout).toBe('before\n');
    expect(result.stderr).toMatch(/rtype exit-signal/);
    expect(result.code).toBe(255);
  });

  it('runs an interactive shell in a pty (tmux): typing, resizing, Ctrl-C, exit', async () => {
    const socket = path.join(dir, 'tmux.sock');
    const tmux = (...args: string[]) => runCommand('tmux', ['-S', socket, ...args]);
    const command = ['ssh', ...sshArgs('-tt', target())].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    await runCommand('tmux', [
      '-S',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'sesame',
      '-x',
      '120',
      '-y',
      '40',
      command,
    ]);
    try {
      const screen = async (expected: RegExp) => {
        for (let i = 0; i < 200; i++) {
          const pane = (await tmux('capture-pane', '-p', '-t', 'sesame')).stdout;
          if (expected.test(pane)) return pane;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(
          `the terminal never showed ${expected}: ${(await tmux('capture-pane', '-p', '-t', 'sesame')).stdout}`,
        );
      };
      await tmux('send-keys', '-t', 'sesame', 'PS1="sesame> "; echo $((6*7)); tty; stty size', 'Enter');
      const first = await screen(/^42$/m);
      await screen(/\/dev\/pts\/\d+/);
      expect(await screen(/^40 120$/m)).toContain('42');
      expect(first).toContain('42');
      await tmux('resize-window', '-t', 'sesame', '-x', '100', '-y', '30');
      await tmux('send-keys', '-t', 'sesame', 'clear; stty size', 'Enter');
      await screen(/^30 100$/m);
      await tmux('send-keys', '-t', 'sesame', 'sleep 300', 'Enter');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tmux('send-keys', '-t', 'sesame', 'C-c');
      await tmux('send-keys', '-t', 'sesame', 'echo after-$((1+1))', 'Enter');
      await screen(/^after-2$/m);
      await tmux('send-keys', '-t', 'sesame', 'exit', 'Enter');
      for (let i = 0; i < 100 && (await tmux('has-session', '-t', 'sesame')).code === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await tmux('has-session', '-t', 'sesame')).code).not.toBe(0);
    } finally {
      await runCommand('tmux', ['-S', socket, 'kill-server']);
    }
  });

  it('copies 100 MB up and down with scp (sftp protocol), checksums equal', { timeout: 180_000 }, async () => {
    const local = path.join(dir, 'big.bin');
    const remote = path.join(dir, 'big-remote.bin');
    const back = path.join(dir, 'big-back.bin');
    const fd = fs.openSync(local, 'w');
    for (let i = 0; i < 100; i++) fs.writeSync(fd, randomBytes(1024 * 1024));
    fs.closeSync(fd);
    const scpArgs = [...isolatedSshOptions(knownHosts), '-q', '-P', String(listener.port)];
    const up = await runTool('scp', [...scpArgs, local, `${target()}:${remote}`], { timeoutMs: 150_000 });
    expect(up.code, up.stderr).toBe(0);
    const down = await runTool('scp', [...scpArgs, `${target()}:${remote}`, back], { timeoutMs: 150_000 });
    expect(down.code, down.stderr).toBe(0);
    const digest = sha256File(local);
    expect(sha256File(remote)).toBe(digest);
    expect(sha256File(back)).toBe(digest);
    expect(listener.bytes.toTarget).toBeGreaterThan(100 * 1024 * 1024);
    expect(listener.bytes.toClient).toBeGreaterThan(100 * 1024 * 1024);
    for (const file of [local, remote, back]) fs.rmSync(file);
  });

  it('copies with legacy scp (-O: scp over exec)', async () => {
    const local = path.join(dir, 'legacy.txt');
    fs.writeFileSync(local, 'legacy scp payload\n'.repeat(1000));
    const remote = path.join(dir, 'legacy-remote.txt');
    const result = await runTool('scp', [
      ...isolatedSshOptions(knownHosts),
      '-O',
      '-q',
      '-P',
      String(listener.port),
      local,
      `${target()}:${remote}`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readFileSync(remote, 'utf8')).toBe(fs.readFileSync(local, 'utf8'));
  });

  it('runs an sftp session: ls, put, get, rm', async () => {
    const work = path.join(dir, 'sftp');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'existing.txt'), 'already there\n');
    const upload = path.join(dir, 'upload.txt');
    fs.writeFileSync(upload, 'put through sesame\n');
    const fetched = path.join(dir, 'fetched.txt');
    const batch = path.join(dir, 'batch.sftp');
    fs.writeFileSync(
      batch,
      [
        `cd ${work}`,
        'ls -1',
        `put ${upload} uploaded.txt`,
        `get existing.txt ${fetched}`,
        'ls -1',
        'rm existing.txt',
        '',
      ].join('\n'),
    );
    const result = await runTool('sftp', [
      ...isolatedSshOptions(knownHosts),
      '-P',
      String(listener.port),
      '-b',
      batch,
      target(),
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('existing.txt');
    expect(result.stdout).toContain('uploaded.txt');
    expect(fs.readFileSync(path.join(work, 'uploaded.txt'), 'utf8')).toBe('put through sesame\n');
    expect(fs.readFileSync(fetched, 'utf8')).toBe('already there\n');
    expect(fs.existsSync(path.join(work, 'existing.txt'))).toBe(false);
  });

  it('carries a local forward (-L) both ways, half-close included', async () => {
    const hashServer = await startHashServer();
    const localPort = await freePort();
    const { child } = await spawnSsh(
      sshArgs(
        '-N',
        '-o',
        'ExitOnForwardFailure=yes',
        '-L',
        `127.0.0.1:${localPort}:127.0.0.1:${hashServer.port}`,
        target(),
      ),
      () => true,
    );
    try {
      await waitForPort(localPort);
      const payload = randomBytes(5 * 1024 * 1024);
      const answers = await Promise.all([
        sendAndHash(localPort, payload),
        sendAndHash(localPort, payload.subarray(0, 1000)),
      ]);
      expect(answers).toEqual([
        createHash('sha256').update(payload).digest('hex'),
        createHash('sha256').update(payload.subarray(0, 1000)).digest('hex'),
      ]);
    } finally {
      child.kill();
      await hashServer.close();
    }
  });

  it('carries a remote forward (-R, port chosen by the target) both ways', async () => {
    const hashServer = await startHashServer();
    const { child, stderr } = await spawnSsh(
      sshArgs('-N', '-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:0:127.0.0.1:${hashServer.port}`, target()),
      (text) => /Allocated port \d+ for remote forward/.test(text),
    );
    try {
      const remotePort = Number(/Allocated port (\d+) for remote forward/.exec(stderr())![1]);
      const payload = randomBytes(2 * 1024 * 1024);
      expect(await sendAndHash(remotePort, payload)).toBe(createHash('sha256').update(payload).digest('hex'));
    } finally {
      child.kill();
      await hashServer.close();
    }
  });

  it('answers keepalives: a client probing every second stays connected through a quiet command', async () => {
    const result = await runTool(
      'ssh',
      sshArgs('-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=2', target(), 'sleep 4; echo alive'),
    );
    expect(result.stdout).toBe('alive\n');
  });

  it(
    'holds back a fast producer while the consumer does not read (backpressure both ways)',
    { timeout: 120_000 },
    async () => {
      const settle = async (read: () => number) => {
        let last = -1;
        while (read() !== last) {
          last = read();
          await new Promise((resolve) => setTimeout(resolve, 700));
        }
        return last;
      };
      // Target → client: the remote side writes 120 MB; the local reader pauses.
      const total = 120 * 1024 * 1024;
      const before = listener.bytes.toClient;
      const child = spawn('ssh', sshArgs(target(), `head -c ${total} /dev/zero`), {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      children.add(child);
      child.stdout!.pause();
      const buffered = (await settle(() => listener.bytes.toClient)) - before;
      expect(buffered).toBeLessThan(32 * 1024 * 1024);
      let received = 0;
      child.stdout!.on('data', (chunk: Buffer) => (received += chunk.length));
      child.stdout!.resume();
      await new Promise((resolve) => child.once('close', resolve));
      expect(received).toBe(total);

      // Client → target: the local side sends 120 MB to a command that reads nothing for a while.
      const sentBefore = listener.bytes.toTarget;
      const writer = spawn('ssh', sshArgs(target(), 'sleep 6; wc -c'), { stdio: ['pipe', 'pipe', 'ignore'] });
      children.add(writer);
      let output = '';
      writer.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const chunk = Buffer.alloc(1024 * 1024);
      const pump = (async () => {
        for (let i = 0; i < 120; i++)
          if (!writer.stdin!.write(chunk)) await new Promise((resolve) => writer.stdin!.once('drain', resolve));
        writer.stdin!.end();
      })();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(listener.bytes.toTarget - sentBefore).toBeLessThan(32 * 1024 * 1024);
      await pump;
      await new Promise((resolve) => writer.once('close', resolve));
      expect(output.trim()).toBe(String(total));
    },
  );

  it('delivers the exit status to a client that closes on EOF both ways (ssh2), every time', async () => {
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({ host: '127.0.0.1', port: listener.port, username: sshd.user, hostVerifier: () => true });
    });
    try {
      const codes: Array<number | undefined> = [];
      for (let i = 0; i < 20; i++) {
        codes.push(
          await new Promise<number | undefined>((resolve, reject) =>
            client.exec(`cat >/dev/null; exit ${i % 3}`, (error, channel) => {
              if (error) return reject(error);
              let code: number | undefined;
              channel.on('exit', (c: number) => (code = c)).on('close', () => resolve(code));
              channel.resume();
              channel.stderr.resume();
              channel.end(randomBytes(4096 * (i + 1)));
            }),
          ),
        );
      }
      expect(codes).toEqual(Array.from({ length: 20 }, (_, i) => i % 3));
    } finally {
      client.end();
    }
  });

  it('serves 20 sessions at once, each with its own certificate', async () => {
    const before = issued();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runTool('ssh', sshArgs(target(), `echo session-${i}`), { timeoutMs: 90_000 }),
      ),
    );
    results.forEach((result, i) => {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`session-${i}\n`);
    });
    expect(issued() - before).toBe(20);
    expect(listener.serveErrors).toEqual([]);
  });
});

function runCommand(command: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}
