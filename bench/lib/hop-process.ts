// The pieces of the hop bench, each a process of its own:
//   `hop-process.ts echo`           an echo server (the "database": it answers every byte)
//   `hop-process.ts data-phase N`   the broker's data phase and nothing else, to 127.0.0.1:N:
//                                   broker/connector-kit's connectForRelay + relayChunks +
//                                   untilBothClosed, as the connectors run them after the login
// Each prints `{ "port": N }` and answers SIGUSR2 with its CPU time (lib/serving-process.ts).
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { connectForRelay, relayChunks, untilBothClosed } from '../../broker/connector-kit';
import { answerCpuOnSignal, startServingProcess, type ServingProcess } from './serving-process';

const self = fileURLToPath(import.meta.url);

export const startEcho = (): Promise<ServingProcess> =>
  startServingProcess('echo server', ['--import', 'tsx', self, 'echo']);

export const startDataPhase = (targetPort: number): Promise<ServingProcess> =>
  startServingProcess('data-phase hop', ['--import', 'tsx', self, 'data-phase', String(targetPort)]);

function serve(role: string | undefined, targetPort: number): void {
  const server = net.createServer({ noDelay: true }, (client) => {
    client.on('error', () => client.destroy());
    if (role === 'echo') {
      client.pipe(client);
      return;
    }
    const backend = connectForRelay('127.0.0.1', targetPort);
    backend.on('error', () => backend.destroy());
    backend.once('connect', () => {
      backend.setNoDelay(true);
      void untilBothClosed(client, backend);
      relayChunks(client, backend, () => {});
      relayChunks(backend, client, () => {});
    });
  });
  answerCpuOnSignal();
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === self) serve(process.argv[2], Number(process.argv[3]));
