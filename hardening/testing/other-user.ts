// The threat "another local user": a throwaway OS account made for one test (useradd), whose
// processes run as that user (runuser). Attacker programs are written into a directory that
// user can read, and use only Node's built-ins: a CI clone of the repo may sit in a private
// directory the account cannot enter.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface OtherUser {
  readonly name: string;
  readonly uid: number;
  /** Run `node <script> ...args` as this user; resolves with exit code and output. */
  node(
    script: string,
    args?: string[],
    options?: { timeoutMs?: number },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Start `node <script>` as this user and leave it running (a server); `stop()` ends it. */
  start(
    script: string,
    args?: string[],
  ): {
    stop(): Promise<void>;
    output(): string;
    waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  };
  /** Write an attacker program readable by this user; returns its path. */
  program(name: string, source: string): Promise<string>;
  remove(): Promise<void>;
}

/** True where a throwaway account can be made (root on Linux, useradd present). */
export function canMakeUsers(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

export async function createOtherUser(): Promise<OtherUser> {
  const name = `sesame-atk-${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const dir = await mkdtemp(path.join(tmpdir(), 'sesame-attacker-'));
  await chmod(dir, 0o755);
  const children = new Set<ReturnType<typeof spawn>>();
  const launch = (script: string, args: string[]) => {
    const child = spawn('runuser', ['-u', name, '--', process.execPath, script, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  return {
    name,
    uid,
    async program(file, source) {
      const full = path.join(dir, file);
      await writeFile(full, source);
      await chmod(full, 0o644);
      return full;
    },
    node(script, args = [], { timeoutMs = 30_000 } = {}) {
      return new Promise((resolve) => {
        const child = launch(script, args);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    start(script, args = []) {
      const child = launch(script, args);
      let out = '';
      const waiters = new Set<() => void>();
      const append = (c: Buffer) => {
        out += c.toString();
        for (const check of waiters) check();
      };
      child.stdout!.on('data', append);
      child.stderr!.on('data', append);
      return {
        output: () => out,
        waitFor(pattern, timeoutMs = 15_000) {
          return new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`timed out waiting for ${pattern} from the attacker:\n${out}`)),
              timeoutMs,
            );
            const check = () => {
              const match = out.match(pattern);
              if (!match) return;
              clearTimeout(timer);
              waiters.delete(check);
              resolve(match);
            };
            waiters.add(check);
            check();
          });
        },
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      };
    },
    async remove() {
      for (const child of children) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      try {
        execFileSync('userdel', [name]);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * A WebSocket client in plain Node (no packages): `call(url, headers, messages)` opens the
 * socket, sends each message as a masked text frame, and prints every text frame it receives as
 * a JSON line `{"frame": "..."}`, or `{"refused": status}` when the upgrade is refused.
 */
export const WS_CLIENT_SOURCE = String.raw`
import http from 'node:http';
import crypto from 'node:crypto';
export function call(url, headers, messages, waitMs = 1500) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const key = crypto.randomBytes(16).toString('base64');
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, ...headers } });
    req.on('response', (res) => { console.log(JSON.stringify({ refused: res.statusCode })); resolve(); });
    req.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); resolve(); });
    req.on('upgrade', (_res, socket) => {
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          if (buffer.length < 2) return;
          let len = buffer[1] & 0x7f, off = 2;
          if (len === 126) { if (buffer.length < 4) return; len = buffer.readUInt16BE(2); off = 4; }
          else if (len === 127) { if (buffer.length < 10) return; len = Number(buffer.readBigUInt64BE(2)); off = 10; }
          if (buffer.length < off + len) return;
          const opcode = buffer[0] & 0x0f;
          const payload = buffer.subarray(off, off + len);
          buffer = buffer.subarray(off + len);
          if (opcode === 1) console.log(JSON.stringify({ frame: payload.toString('utf8') }));
          if (opcode === 8) console.log(JSON.stringify({ closed: payload.length >= 2 ? payload.readUInt16BE(0) : 0, reason: payload.subarray(2).toString() }));
        }
      });
      for (const message of messages) {
        const data = Buffer.from(JSON.stringify(message));
        const mask = crypto.randomBytes(4);
        const head = data.length < 126 ? Buffer.from([0x81, 0x80 | data.length]) : Buffer.from([0x81, 0x80 | 126, data.length >> 8, data.length & 0xff]);
        socket.write(Buffer.concat([head, mask, Buffer.from(data.map((b, i) => b ^ mask[i % 4]))]));
      }
      setTimeout(() => { socket.destroy(); resolve(); }, waitMs);
    });
    req.end();
  });
}
`;
