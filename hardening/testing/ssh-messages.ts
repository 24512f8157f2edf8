// Seeded SSH message scripts for the scripted (past key exchange) fuzz: user-auth, service,
// transport and global messages before login; channel opens, channel requests, data, window
// adjusts, EOF/CLOSE and global requests after it. Messages that make the target act on a
// value — a command, a forward's address or port, a socket path — are only sent unmutated with
// harmless values (`cat` and the like, loopback port 0, a path in the test's own directory): a mutation must
// never run a random command as the sshd user or bind a random port on this shared machine.
import { sshString, sshUint32 } from '../../broker/ssh';
import { bool, kexInit, MSG, payload } from './ssh-wire';
import { mutate, type Random } from './random';
import type { SshScript } from './ssh-scripted';

const str = (text: string | Buffer) => sshString(text);
const u32 = (value: number) => sshUint32(value >>> 0);
const WINDOWS = [0, 1, 1024, 32 * 1024, 2 * 1024 * 1024, 0x7fffffff, 0xffffffff];

function randomKeyBlob(random: Random): Buffer {
  return Buffer.concat([
    str(random.pick(['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ssh-ed25519-cert-v01@openssh.com', 'x'])),
    str(random.bytes(random.int(0, 64))),
  ]);
}

/** Before login: the client's side of user auth, service requests and transport messages. */
function preAuthBases(random: Random): Buffer[] {
  const user = str(random.pick(['fuzz', 'root', '', 'x'.repeat(300)]));
  const service = str(random.pick(['ssh-connection', 'ssh-userauth', 'x']));
  const auth = (method: string, ...fields: Buffer[]) =>
    payload(MSG.USERAUTH_REQUEST, user, service, str(method), ...fields);
  const keyAlgo = str(random.pick(['ssh-ed25519', 'rsa-sha2-512', 'ssh-ed25519-cert-v01@openssh.com', 'nope']));
  return [
    auth('none'),
    auth('publickey', bool(false), keyAlgo, str(randomKeyBlob(random))),
    auth('publickey', bool(true), keyAlgo, str(randomKeyBlob(random)), str(random.bytes(random.int(0, 80)))),
    auth('password', bool(false), str(random.bytes(random.int(0, 40)))),
    auth('keyboard-interactive', str(''), str('')),
    auth('hostbased', keyAlgo, str(randomKeyBlob(random)), str('localhost'), str('fuzz'), str(random.bytes(64))),
    auth(random.bytes(random.int(0, 20)).toString('latin1')),
    payload(MSG.SERVICE_REQUEST, service),
    payload(MSG.IGNORE, str(random.bytes(random.int(0, 200)))),
    payload(MSG.DEBUG, bool(random.chance(0.5)), str(random.bytes(random.int(0, 100))), str('en')),
    payload(MSG.UNIMPLEMENTED, u32(random.int(0, 0xffffffff))),
    payload(MSG.GLOBAL_REQUEST, str('keepalive@openssh.com'), bool(true)),
    payload(MSG.CHANNEL_OPEN, str('session'), u32(0), u32(2 ** 21), u32(32768)),
    payload(61, u32(random.int(0, 3)), str(random.bytes(random.int(0, 30)))), // USERAUTH_INFO_RESPONSE
    kexInit(),
    payload(random.int(0, 255), random.bytes(random.int(0, 64))),
  ];
}

/** Channel requests on the session channel the script opened (recipient 0 on the server). */
function sessionRequests(random: Random, channel: number): { safe: Buffer[]; fixed: Buffer[] } {
  const request = (type: string, wantReply: boolean, ...fields: Buffer[]) =>
    payload(MSG.CHANNEL_REQUEST, u32(channel), str(type), bool(wantReply), ...fields);
  const want = random.chance(0.5);
  const dims = () => [
    u32(random.pick(WINDOWS)),
    u32(random.int(0, 300)),
    u32(random.int(0, 4000)),
    u32(random.int(0, 4000)),
  ];
  return {
    safe: [
      request(
        'pty-req',
        want,
        str(random.pick(['xterm', 'vt100', ''])),
        ...dims(),
        str(random.bytes(random.int(0, 40))),
      ),
      request('env', want, str(`FUZZ_${random.int(0, 99)}`), str(random.bytes(random.int(0, 40)).toString('hex'))),
      request('window-change', false, ...dims()),
      request('signal', false, str(random.pick(['INT', 'TERM', 'HUP', 'USR1', 'KILL', 'NOPE', '']))),
      request('x11-req', want, bool(false), str('MIT-MAGIC-COOKIE-1'), str(random.bytes(16).toString('hex')), u32(0)),
      request('auth-agent-req@openssh.com', want),
      request('keepalive@openssh.com', true),
      request('exit-status', false, u32(random.int(0, 255))),
      request(random.bytes(random.int(0, 12)).toString('latin1'), want, random.bytes(random.int(0, 32))),
      payload(MSG.CHANNEL_DATA, u32(channel), str(random.bytes(random.pick([0, 1, 100, 4096, 40_000])))),
      payload(MSG.CHANNEL_EXTENDED_DATA, u32(channel), u32(random.int(0, 2)), str(random.bytes(random.int(0, 200)))),
      payload(MSG.CHANNEL_WINDOW_ADJUST, u32(channel), u32(random.pick(WINDOWS))),
      payload(MSG.CHANNEL_EOF, u32(channel)),
      payload(MSG.CHANNEL_CLOSE, u32(channel)),
    ],
    // Commands that treat the fuzzed channel data as data, never as commands or requests (no shell, no sftp).
    fixed: [request('exec', want, str(random.pick(['cat', 'true', 'echo fuzz', 'head -c 100000 /dev/zero'])))],
  };
}

/** After login: channel opens, channel traffic and global requests. */
function postAuthBases(random: Random, socketDir: string, echoPort: number): { safe: Buffer[]; fixed: Buffer[] } {
  const open = (type: string, ...fields: Buffer[]) =>
    payload(
      MSG.CHANNEL_OPEN,
      str(type),
      u32(random.int(1, 5)),
      u32(random.pick(WINDOWS)),
      u32(random.pick(WINDOWS)),
      ...fields,
    );
  const session = sessionRequests(random, random.chance(0.9) ? 0 : random.int(0, 0xffffffff));
  const global = (name: string, ...fields: Buffer[]) =>
    payload(MSG.GLOBAL_REQUEST, str(name), bool(random.chance(0.7)), ...fields);
  return {
    safe: [
      ...session.safe,
      open('session'),
      open('x11', str('127.0.0.1'), u32(6000)),
      open('forwarded-tcpip', str('127.0.0.1'), u32(1), str('127.0.0.1'), u32(2)),
      open('auth-agent@openssh.com'),
      open(random.bytes(random.int(0, 16)).toString('latin1')),
      global('keepalive@openssh.com'),
      global('no-more-sessions@openssh.com'),
      global('hostkeys-prove-00@openssh.com', str(randomKeyBlob(random))),
      global('cancel-tcpip-forward', str('127.0.0.1'), u32(random.int(0, 65535))),
      global(random.bytes(random.int(0, 20)).toString('latin1'), random.bytes(random.int(0, 20))),
      payload(MSG.IGNORE, str(random.bytes(random.int(0, 300)))),
      payload(random.int(0, 255), random.bytes(random.int(0, 64))),
    ],
    fixed: [
      ...session.fixed,
      open('direct-tcpip', str('127.0.0.1'), u32(echoPort), str('127.0.0.1'), u32(random.int(1, 65535))),
      global('tcpip-forward', str('127.0.0.1'), u32(0)),
      global('streamlocal-forward@openssh.com', str(`${socketDir}/fwd-${random.int(0, 1e9)}.sock`)),
    ],
  };
}

export interface ScriptTargets {
  /** A directory of the test's own, for streamlocal forwards. */
  socketDir: string;
  /** A loopback port of the test's own, for direct-tcpip opens. */
  echoPort: number;
}

/** `count` scripts, of which `postAuthShare` log in first (each such case costs an upstream login). */
export function* sshScripts(
  random: Random,
  count: number,
  postAuthShare: number,
  targets: ScriptTargets,
): Generator<SshScript> {
  for (let i = 0; i < count; i++) {
    const postAuth = random.chance(postAuthShare);
    const payloads: Buffer[] = [];
    if (postAuth) payloads.push(payload(MSG.CHANNEL_OPEN, str('session'), u32(0), u32(2 ** 21), u32(32768)));
    const messages = postAuth ? random.int(3, 16) : random.int(1, 4);
    for (let m = 0; m < messages; m++) {
      if (postAuth) {
        const { safe, fixed } = postAuthBases(random, targets.socketDir, targets.echoPort);
        payloads.push(
          random.chance(0.15)
            ? random.pick(fixed)
            : random.chance(0.7)
              ? mutate(random, random.pick(safe), 1)
              : random.pick(safe),
        );
      } else {
        const base = random.pick(preAuthBases(random));
        payloads.push(random.chance(0.7) ? mutate(random, base, 1) : base);
      }
    }
    const leave = postAuth
      ? random.pick(['disconnect', 'half-close'] as const)
      : random.chance(0.02)
        ? 'stay'
        : random.pick(['disconnect', 'half-close'] as const);
    yield {
      phase: postAuth ? 'post-auth' : 'pre-auth',
      payloads,
      leave,
      settleMs: postAuth ? random.int(0, 60) : random.int(0, 10),
    };
  }
}
