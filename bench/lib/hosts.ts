// Vault and the agent proxy for the benches, each in a process of its own as in real life:
// `vault` starts the Vault dev server, `proxy <vault address> <options JSON>` the caching proxy.
// The process prints one JSON line with its address, answers each `stats` line on stdin with
// `{ rss, heapUsed }` after a full GC (so memory figures do not depend on when V8 last
// collected), and ends when its stdin closes (the bench ended, or died).
//
// Run directly, this file is that process; `startHost` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { AgentProxyOptions } from '../../broker/proxy';
import { onCleanup } from '../../sandbox/servers';

const self = fileURLToPath(import.meta.url);

export interface Host {
  readonly pid: number;
  /** What it printed: `{ address, rootToken? }`. */
  readonly info: { address: string; rootToken?: string };
  /** Its memory after a full GC, in bytes. */
  stats(): Promise<{ rss: number; heapUsed: number }>;
  stop(): Promise<void>;
}

/** Proxy options that can cross a command line. */
export type ProxyHostOptions = Pick<AgentProxyOptions, 'staticSecretRefreshMs' | 'cacheStaticSecrets'>;

export async function startVaultHost(): Promise<Host> {
  return startHost(['vault']);
}

export async function startProxyHost(vaultAddress: string, options: ProxyHostOptions = {}): Promise<Host> {
  return startHost(['proxy', vaultAddress, JSON.stringify(options)]);
}

async function startHost(args: string[]): Promise<Host> {
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const unregister = onCleanup(() => void child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench host '${args[0]}' exited (${code})`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  const info = (await nextLine()) as unknown as Host['info'];
  return {
    pid: child.pid!,
    info,
    async stats() {
      const answer = nextLine();
      child.stdin!.write('stats\n');
      return (await answer) as unknown as { rss: number; heapUsed: number };
    },
    async stop() {
      if (child.exitCode !== null) return unregister();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.stdin!.end();
      await exited;
      clearTimeout(timer);
      unregister();
    },
  };
}

async function serve(role: string | undefined, args: string[]): Promise<void> {
  let stop: () => Promise<void>;
  if (role === 'vault') {
    const { startVaultDev } = await import('../../sandbox/vault');
    const vault = await startVaultDev();
    process.stdout.write(`${JSON.stringify({ address: vault.address, rootToken: vault.rootToken })}\n`);
    stop = () => vault.stop();
  } else if (role === 'proxy' && args[0]) {
    const { startAgentProxy } = await import('../../broker/proxy');
    const { createLogger } = await import('../../broker/log');
    const options = JSON.parse(args[1] ?? '{}') as ProxyHostOptions;
    const proxy = await startAgentProxy({
      vaultAddress: args[0],
      listen: '127.0.0.1:0',
      log: createLogger('bench', () => {}, 'error'),
      ...options,
    });
    process.stdout.write(`${JSON.stringify({ address: proxy.address })}\n`);
    stop = () => proxy.close();
  } else {
    throw new Error('usage: hosts.ts vault | proxy <vault address> [options JSON]');
  }
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'stats') return;
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ rss, heapUsed })}\n`);
  });
  process.stdin.once('close', () => void stop().finally(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().finally(() => process.exit(0)));
}

if (process.argv[1] === self) await serve(process.argv[2], process.argv.slice(3));
