// Shared pieces of the long-running commands: waiting for Ctrl-C/SIGTERM and the project root.
import path from 'node:path';

export const projectRoot = path.resolve(import.meta.dirname, '..');

/** Resolves with the signal's name on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export async function readVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Stop the parts in order, each bounded: a part that has not stopped after `partMs` is named
 * and left behind (the process is ending anyway), and a second Ctrl-C ends at once. Quitting
 * never hangs on one stuck part, with ports still open behind it.
 */
export async function stopParts(
  parts: ReadonlyArray<readonly [name: string, stop: () => Promise<unknown>]>,
  say: (line: string) => void,
  partMs = 10_000,
): Promise<void> {
  const force = () => {
    say('Stopping now (second signal).');
    process.exit(130);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  try {
    for (const [name, stop] of parts) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), partMs)));
      const outcome = await Promise.race([
        stop().then(
          () => 'done' as const,
          (error: Error) => error,
        ),
        late,
      ]);
      clearTimeout(timer);
      if (outcome === 'late') say(`${name} did not stop within ${partMs / 1000} s; going on without it.`);
      else if (outcome instanceof Error) say(`${name} did not stop cleanly: ${outcome.message}`);
    }
  } finally {
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
}
