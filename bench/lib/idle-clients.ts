// Clients that open a connection, log in and then do nothing, for the idle-scale bench, as
// light as a client can be so that the bench process holds thousands: a PostgreSQL startup
// written by hand (StartupMessage, then wait for ReadyForQuery; the broker asks the client for
// no password), and an ssh2 client logged in with `none` that opens no channel (`ssh -N`).
import net from 'node:net';
import ssh2 from 'ssh2';

export interface IdleConnection {
  /** Set once it closed or failed after being opened. */
  readonly lost: () => string | undefined;
  close(): void;
  /** Resolves when its socket has closed. */
  readonly closed: Promise<void>;
}

/** A PostgreSQL connection through the broker at `port`, idle after ReadyForQuery. */
export function openIdlePostgres(port: number, database: string): Promise<IdleConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    let lost: string | undefined;
    let ready = false;
    let pending = Buffer.alloc(0);
    socket.once('connect', () => {
      const params = Buffer.from(`user\0anyone\0database\0${database}\0\0`);
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + params.length, 0);
      head.writeInt32BE(196608, 4); // protocol 3.0
      socket.write(Buffer.concat([head, params]));
    });
    socket.on('data', (chunk: Buffer) => {
      if (ready) return;
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const type = String.fromCharCode(pending[0]!);
        const body = pending.subarray(5, 1 + pending.readInt32BE(1));
        pending = pending.subarray(1 + pending.readInt32BE(1));
        if (type === 'E') return fail(`ErrorResponse: ${body.toString('utf8').replace(/\0/g, ' ').trim()}`);
        if (type === 'Z') {
          ready = true;
          return resolve({ lost: () => lost, close: () => socket.end(), closed });
        }
      }
    });
    const fail = (why: string) => {
      if (!ready) {
        socket.destroy();
        reject(new Error(why));
      } else lost ??= why;
    };
    socket.on('error', (err) => fail(err.message));
    socket.on('close', () => fail('closed'));
  });
}

/** An SSH connection to the broker at `port` logged in with `none`, no channel open. */
export function openIdleSsh(port: number): Promise<IdleConnection> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let lost: string | undefined;
    let ready = false;
    const closed = new Promise<void>((done) => client.once('close', () => done()));
    client.once('ready', () => {
      ready = true;
      resolve({ lost: () => lost, close: () => client.end(), closed });
    });
    const fail = (why: string) => {
      if (!ready) {
        client.destroy();
        reject(new Error(why));
      } else lost ??= why;
    };
    client.on('error', (err) => fail(err.message));
    client.on('close', () => fail('closed'));
    client.connect({ host: '127.0.0.1', port, username: 'bench', hostVerifier: () => true, readyTimeout: 120_000 });
  });
}

/** Opens `count` connections with `open`, `concurrency` at a time; the connections and the failures. */
export async function openMany(
  count: number,
  concurrency: number,
  open: () => Promise<IdleConnection>,
  progress: (opened: number) => void = () => {},
): Promise<{ connections: IdleConnection[]; errors: string[] }> {
  const connections: IdleConnection[] = [];
  const errors: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        try {
          connections.push(await open());
          if (connections.length % 1000 === 0) progress(connections.length);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    }),
  );
  return { connections, errors };
}
