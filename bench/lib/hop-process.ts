// The pieces of the hop bench, each a process of its own:
//   `hop-process.ts echo`           an echo server (the "database": it answers every byte)
//   `hop-process.ts data-phase N [RELAY]`   the broker's data phase and nothing else, to
//                                   127.0.0.1:N: connectForRelay + relayChunks (from
//                                   broker/connector-kit/relay.ts, or the RELAY file of another
//                                   checkout, for a before/after) + untilBothClosed, as the
//                                   connectors run them after the login
// Each prints `{ "port": N }` and answers SIGUSR2 with its CPU time (lib/serving-process.ts).
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { untilBothClosed } from '../../broker/connector-kit';
import type * as relayModule from '../../broker/connector-kit/relay';
import { answerCpuOnSignal, startServingProcess, type ServingProcess } from './serving-process';

const self = fileURLToPath(import.meta.url);

export const startEcho = (): Promise<ServingProcess> =>
  startServingProcess('echo server', ['--import', 'tsx', self, 'echo']);

export const startDataPhase = (targetPort: number, relayFile?: string): Promise<ServingProcess> =>
  startServingProcess('data-phase hop', [
    '--import',
    'tsx',
    self,
    'data-phase',
    String(targetPort),
    ...(relayFile ? [relayFile] : []),
  ]);

type RelayModule = typeof relayModule;

async function serve(role: string | undefined, targetPort: number, relayFile?: string): Promise<void> {
  const { connectForRelay, relayChunks } = (await import(
    relayFile ? pathToFileURL(path.resolve(relayFile)).href : '../../broker/connector-kit/relay'
  )) as RelayModule;
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

if (process.argv[1] === self) await serve(process.argv[2], Number(process.argv[3]), process.argv[4]);
