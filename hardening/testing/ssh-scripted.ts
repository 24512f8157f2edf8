// Fuzz cases past the key exchange: a real ssh2 client does the key exchange (and, for
// post-auth scripts, logs in with `none`), then sends the script's payloads through its own
// packet writer — encrypted and MACed, so the server's message parsers, not its decipher, see
// them. Then it leaves (DISCONNECT, or a bare half-close) or, pre-auth, stays until the server
// ends the connection (its handshake deadline). A case the server does not end within
// `caseTimeoutMs` after that is a hang.
import net from 'node:net';
import ssh2 from 'ssh2';
import { sendRawPayload } from '../../broker/ssh/ssh2-internals';
import { forEachCase, type Checkpoint } from './fuzz';

export interface SshScript {
  phase: 'pre-auth' | 'post-auth';
  payloads: Buffer[];
  leave: 'disconnect' | 'half-close' | 'stay';
  /** Pause between sending and leaving, so asynchronous handling (upstream channels) starts. */
  settleMs: number;
}

export interface SshScriptResult {
  cases: number;
  /** Cases that logged in before sending their script. */
  postAuth: number;
  payloads: number;
  hung: number;
  /** Cases the server ended before the client left: it refused something. */
  serverEnded: number;
  /** Pre-auth cases whose mutated messages still logged in: real sessions, which the client then left. */
  sessions: number;
  /** Post-auth cases whose login did not complete: must be 0. */
  notLoggedIn: number;
  hungSamples: { index: number; phase: string; payloads: string[] }[];
}

export interface SshScriptOptions {
  concurrency: number;
  caseTimeoutMs: number;
  /** The local endpoint's host key blob: the client checks it like `ssh` with a known_hosts line. */
  hostKeyBlob: Buffer;
  checkpoint?: Checkpoint;
}

type Outcome = 'hung' | 'server-ended' | 'client-left' | 'not-logged-in' | 'session';

function runScript(port: number, script: SshScript, options: SshScriptOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const client = new ssh2.Client();
    let left = false;
    let acted = false;
    let session = false;
    let guard: NodeJS.Timeout | undefined;
    const armGuard = () => {
      clearTimeout(guard);
      guard = setTimeout(() => {
        socket.destroy();
        resolve('hung');
      }, options.caseTimeoutMs);
    };
    const leave = (how: 'disconnect' | 'half-close') => {
      if (socket.destroyed) return;
      left = true;
      if (how === 'disconnect') client.end();
      else socket.end();
      armGuard();
    };
    const act = () => {
      if (acted || socket.destroyed) return;
      acted = true;
      for (const p of script.payloads) sendRawPayload(client, p);
      const how = script.leave;
      if (how !== 'stay') setTimeout(() => left || leave(how), script.settleMs);
    };
    armGuard(); // covers the key exchange and, for 'stay', the server's deadline
    client.on('error', () => {}); // the server refusing our garbage is the point
    socket.on('close', () => {
      clearTimeout(guard);
      if (script.phase === 'post-auth' && !acted) resolve('not-logged-in');
      else resolve(session ? 'session' : left ? 'client-left' : 'server-ended');
    });
    if (script.phase === 'post-auth') client.once('ready', act);
    else {
      // Mutated user-auth messages may still log in: an authenticated session rightly stays
      // open until the client leaves, so it leaves.
      client.once('ready', () => {
        session = true;
        leave('disconnect');
      });
    }
    client.connect({
      sock: socket,
      username: 'fuzz',
      hostVerifier: (key: Buffer) => key.equals(options.hostKeyBlob),
      readyTimeout: options.caseTimeoutMs * 2,
      // Pre-auth: the first time ssh2 asks how to log in, send the script instead (never answer).
      ...(script.phase === 'pre-auth' ? { authHandler: () => void act() } : {}),
    });
  });
}

export async function runSshScripts(
  port: number,
  scripts: Iterable<SshScript>,
  options: SshScriptOptions,
): Promise<SshScriptResult> {
  const result: SshScriptResult = {
    cases: 0,
    postAuth: 0,
    payloads: 0,
    hung: 0,
    serverEnded: 0,
    sessions: 0,
    notLoggedIn: 0,
    hungSamples: [],
  };
  await forEachCase(scripts, options.concurrency, options.checkpoint, async (script, index) => {
    const outcome = await runScript(port, script, options);
    result.cases++;
    if (script.phase === 'post-auth') result.postAuth++;
    result.payloads += script.payloads.length;
    if (outcome === 'hung') {
      result.hung++;
      if (result.hungSamples.length < 5) {
        result.hungSamples.push({
          index,
          phase: script.phase,
          payloads: script.payloads.map((p) => p.subarray(0, 48).toString('hex')),
        });
      }
    } else if (outcome === 'server-ended') result.serverEnded++;
    else if (outcome === 'session') result.sessions++;
    else if (outcome === 'not-logged-in') result.notLoggedIn++;
  });
  return result;
}
