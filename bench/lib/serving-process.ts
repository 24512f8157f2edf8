// A bench's helper process (the broker, the Node relay, the latency injector): once it listens
// it prints `{ "port": N }` (or `{ "error": … }`) on stdout, answers SIGUSR2 with
// `{ "cpu": µs, … }` (its user + system time so far, and whatever else it reports), and ends on
// SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { onCleanup } from '../../sandbox/servers';

export interface ServingProcess {
  readonly port: number;
  /** Its process id, for /proc readings (memory) and profilers (strace -p, perf -p). */
  readonly pid: number;
  /** CPU time the process has used so far (user + system), in µs. */
  cpuMicros(): Promise<number>;
  /** Its whole answer to SIGUSR2: `cpu` and what else it reports. */
  ask(): Promise<Record<string, unknown>>;
  /** Ends the process (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

/** Starts `node ...args` (`what` names it in errors), writes `stdin` to it, and waits for its port. */
export async function startServingProcess(what: string, args: string[], stdin = ''): Promise<ServingProcess> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const unregister = onCleanup(() => void child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.end(stdin);
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`the ${what} exited with ${code ?? signal}`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  const started = await nextLine();
  if (typeof started.port !== 'number') throw new Error(`the ${what} failed to start: ${String(started.error)}`);
  const port = started.port;
  const ask = () => {
    const answer = nextLine();
    child.kill('SIGUSR2');
    return answer;
  };
  return {
    port,
    pid: child.pid!,
    ask,
    cpuMicros: async () => Number((await ask()).cpu),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      unregister();
    },
  };
}

/**
 * In the helper process: answer SIGUSR2 with the CPU time used so far and `more()`'s fields.
 * Install before printing the port.
 */
export function answerCpuOnSignal(more: () => Record<string, unknown> = () => ({})): void {
  process.on('SIGUSR2', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: user + system, ...more() })}\n`);
  });
}
