// A TCP relay in front of a server, on a fixed loopback port, that a test can shut (clients
// then see ECONNREFUSED, as when the server's host is down) and open again on the same port.
// Optionally records what clients send, to capture a real client's handshake bytes.
import net from 'node:net';

export interface TcpGate {
  readonly port: number;
  readonly address: string;
  /** Stop accepting and cut every relayed connection: the server looks unreachable. */
  shut(): Promise<void>;
  /** Accept again on the same port. */
  open(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpGate(
  target: { host: string; port: number },
  onClientData?: (chunk: Buffer, connection: number) => void,
): Promise<TcpGate> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let server: net.Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const id = connections++;
        const upstream = net.connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        if (onClientData) client.on('data', (chunk: Buffer) => onClientData(chunk, id));
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const shut = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get address() {
      return `127.0.0.1:${port}`;
    },
    shut,
    open: async () => {
      if (!server) await listen();
    },
    close: shut,
  };
}
