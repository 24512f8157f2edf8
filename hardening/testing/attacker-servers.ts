// What a network attacker runs where the broker expects its database: a server speaking just
// enough PostgreSQL or MySQL protocol to ask the broker for the password the cheap way — in clear
// text, md5, or MySQL's caching_sha2_password full authentication (in clear inside TLS, or RSA-
// encrypted with a public key the attacker hands out) — and to record what the broker sends.
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Cap, encodeErr, encodePacket, encodeServerGreeting } from '../../broker/mysql/protocol';

export interface AttackerServer {
  readonly port: number;
  /** Connections the broker opened to us. */
  readonly connections: number;
  /** Everything the broker sent after we asked for the password (one entry per message or packet). */
  readonly afterPasswordRequest: Buffer[];
  /** The passwords we recovered from what the broker sent. */
  readonly passwords: string[];
  close(): Promise<void>;
}

export interface AttackerTls {
  readonly certFile: string;
  readonly keyFile: string;
}

async function listen(onSocket: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Awaitable reads of a byte stream that may be swapped for its TLS wrapper. */
function streamReader(initial: net.Socket) {
  let pending = Buffer.alloc(0);
  let wake = () => {};
  let ended = false;
  let socket = initial;
  const onData = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    wake();
  };
  const onEnd = () => {
    ended = true;
    wake();
  };
  const attach = (s: net.Socket) => {
    s.on('data', onData);
    s.on('close', onEnd);
    s.on('error', onEnd);
  };
  attach(socket);
  return {
    get socket() {
      return socket;
    },
    async take(n: number): Promise<Buffer | undefined> {
      while (pending.length < n) {
        if (ended) return undefined;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const out = pending.subarray(0, n);
      pending = pending.subarray(n);
      return Buffer.from(out);
    },
    /** Stops reading the plain socket and continues on its TLS server wrapper. */
    startTls(files: AttackerTls): void {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      // A ClientHello that arrived with the request belongs to the TLS layer, which reads the
      // socket's handle directly: hand it everything through a stream of ours instead.
      const plain = socket;
      const carrier = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          plain.write(chunk, callback);
        },
      });
      if (pending.length > 0) carrier.push(pending);
      pending = Buffer.alloc(0);
      plain.on('data', (chunk: Buffer) => carrier.push(chunk));
      plain.on('close', () => carrier.destroy());
      const secure = new tls.TLSSocket(carrier as unknown as net.Socket, {
        isServer: true,
        key: readFileSync(files.keyFile),
        cert: readFileSync(files.certFile),
      });
      secure.on('error', () => {});
      socket = secure;
      attach(secure);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const pgMessage = (type: string, body: Buffer) => Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * A PostgreSQL look-alike: declines TLS (or accepts it with `tls`, a certificate the broker has
 * no reason to trust), then answers the StartupMessage with AuthenticationCleartextPassword or
 * AuthenticationMD5Password and records every message that follows.
 */
export async function startAttackerPostgres(options: {
  ask: 'cleartext' | 'md5';
  tls?: AttackerTls;
}): Promise<AttackerServer> {
  const afterPasswordRequest: Buffer[] = [];
  const passwords: string[] = [];
  let connections = 0;
  const server = await listen((raw) => {
    connections++;
    void (async () => {
      const r = streamReader(raw);
      for (;;) {
        const head = await r.take(4);
        if (!head) return;
        const body = await r.take(head.readInt32BE(0) - 4);
        if (!body) return;
        const code = body.readInt32BE(0);
        if (code === SSL_REQUEST) {
          r.socket.write(options.tls ? 'S' : 'N');
          if (options.tls) r.startTls(options.tls);
          continue;
        }
        if (code === GSSENC_REQUEST) {
          r.socket.write('N');
          continue;
        }
        break; // the StartupMessage
      }
      r.socket.write(
        options.ask === 'cleartext'
          ? pgMessage('R', int32(3))
          : pgMessage('R', Buffer.concat([int32(5), randomBytes(4)])),
      );
      for (;;) {
        const head = await r.take(5);
        if (!head) return;
        const body = await r.take(head.readInt32BE(1) - 4);
        if (!body) return;
        afterPasswordRequest.push(Buffer.concat([head, body]));
        if (head[0] === 0x70 /* p */) {
          passwords.push(body.subarray(0, body.indexOf(0)).toString('utf8'));
          r.socket.end(
            pgMessage('E', Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed for user "app"\0\0', 'latin1')),
          );
          return;
        }
      }
    })();
  });
  return {
    port: server.port,
    get connections() {
      return connections;
    },
    afterPasswordRequest,
    passwords,
    close: server.close,
  };
}

// ---------------------------------------------------------------------------------------------
// MySQL

/** What a MySQL 8 server offers (CLIENT_MYSQL set: no MariaDB extensions), TLS aside. */
const MYSQL8 =
  (0xffffffff &
    ~(
      Cap.SSL |
      Cap.COMPRESS |
      Cap.ZSTD_COMPRESSION |
      Cap.MULTI_FACTOR_AUTH |
      Cap.CAPABILITY_EXTENSION |
      Cap.SSL_VERIFY_SERVER_CERT |
      Cap.REMEMBER_OPTIONS
    )) >>>
  0;

/**
 * A MySQL 8 look-alike with caching_sha2_password: it greets (offering TLS with `tls`), takes the
 * HandshakeResponse, then says "perform full authentication" — which makes a client send the
 * password itself: in clear inside TLS, or RSA-encrypted with the public key it asks us for
 * (ours). `switchTo: 'mysql_clear_password'` asks for the password in clear with an
 * AuthSwitchRequest instead. Records every packet that follows and recovers the password.
 */
export async function startAttackerMysql(
  options: { tls?: AttackerTls; switchTo?: 'mysql_clear_password' } = {},
): Promise<AttackerServer> {
  const afterPasswordRequest: Buffer[] = [];
  const passwords: string[] = [];
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  let connections = 0;
  const server = await listen((raw) => {
    connections++;
    void (async () => {
      const r = streamReader(raw);
      const scramble = Buffer.from(randomBytes(20).map((b) => 0x21 + (b % 90)));
      const readPacket = async () => {
        const head = await r.take(4);
        if (!head) return undefined;
        const payload = await r.take(head.readUIntLE(0, 3));
        return payload && { seq: head[3]!, payload };
      };
      r.socket.write(
        encodePacket(
          0,
          encodeServerGreeting({
            serverVersion: '8.0.36-attacker',
            connectionId: 7,
            scramble,
            capabilities: (MYSQL8 | (options.tls ? Cap.SSL : 0)) >>> 0,
            mariadbCapabilities: 0,
            charset: 255,
            status: 2,
            authPlugin: 'caching_sha2_password',
          }),
        ),
      );
      let packet = await readPacket();
      if (!packet) return;
      if (options.tls && packet.payload.length === 32) {
        r.startTls(options.tls);
        packet = await readPacket();
        if (!packet) return;
      }
      let seq = packet.seq + 1;
      const send = (payload: Buffer) => r.socket.write(encodePacket(seq++, payload));
      if (options.switchTo)
        send(Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${options.switchTo}\0`), scramble, Buffer.alloc(1)]));
      else send(Buffer.from([0x01, 0x04])); // perform_full_authentication
      for (;;) {
        const next = await readPacket();
        if (!next) return;
        seq = next.seq + 1;
        afterPasswordRequest.push(next.payload);
        if (next.payload.length === 1 && next.payload[0] === 0x02) {
          send(Buffer.concat([Buffer.from([0x01]), Buffer.from(publicPem)])); // here is "the server's" key
          continue;
        }
        const plain =
          next.payload.length === 256
            ? privateDecrypt(
                { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
                next.payload,
              ).map((b, i) => b ^ scramble[i % 20]!)
            : next.payload;
        passwords.push(plain.subarray(0, plain.indexOf(0) < 0 ? plain.length : plain.indexOf(0)).toString('utf8'));
        r.socket.end(
          encodePacket(seq, encodeErr(1045, '28000', "Access denied for user 'app'@'%' (using password: YES)")),
        );
        return;
      }
    })();
  });
  return {
    port: server.port,
    get connections() {
      return connections;
    },
    afterPasswordRequest,
    passwords,
    close: server.close,
  };
}
