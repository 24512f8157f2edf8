// A well-behaved SSH client for load tests: an ssh2 client that pins the endpoint's host key,
// logs in with `none`, and runs commands whose output it checks.
import ssh2, { type Client } from 'ssh2';

export function connectSsh(port: number, hostKeyBlob: Buffer, timeoutMs = 60_000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => {
      client.removeListener('error', reject);
      client.on('error', () => {}); // a later error shows up as a failed command
      resolve(client);
    });
    client.once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'soak',
      hostVerifier: (key: Buffer) => key.equals(hostKeyBlob),
      readyTimeout: timeoutMs,
    });
  });
}

export interface RunResult {
  stdout: Buffer;
  /** undefined when the channel closed without an exit status. */
  code: number | undefined;
}

/**
 * Runs `cat` and makes round trips through it: sends each chunk (non-empty) once the previous
 * one came back, then EOF; resolves once the channel closed, with everything echoed.
 */
export function catRoundTrips(client: Client, chunks: readonly Buffer[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`cat did not finish within ${timeoutMs} ms`)), timeoutMs);
    client.exec('cat', (error, channel) => {
      if (error) {
        clearTimeout(guard);
        return reject(error);
      }
      const out: Buffer[] = [];
      let received = 0;
      let sent = 0;
      let next = 0;
      let code: number | undefined;
      const sendNext = () => {
        if (next === chunks.length) return void channel.end();
        const chunk = chunks[next++]!;
        sent += chunk.length;
        channel.write(chunk);
      };
      channel.on('data', (chunk: Buffer) => {
        out.push(chunk);
        received += chunk.length;
        if (received === sent) sendNext();
      });
      channel.stderr.resume();
      channel.on('exit', (exitCode: number | null) => (code = exitCode ?? undefined));
      channel.on('close', () => {
        clearTimeout(guard);
        resolve({ stdout: Buffer.concat(out), code });
      });
      sendNext();
    });
  });
}
