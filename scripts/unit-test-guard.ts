// Setup file of the unit project: a unit test may not start a process (a database, sshd,
// Chromium, the CLI). Each child_process starter throws, naming the fix, so a test that needs
// real servers is named *.integration.test.ts instead of slowing the fast suite down.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const starters = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
for (const name of starters) {
  (childProcess as unknown as Record<string, unknown>)[name] = () => {
    throw new Error(
      `A unit test may not start a process (child_process.${name}); name the test file *.integration.test.ts.`,
    );
  };
}
// `import { spawn } from 'node:child_process'` sees the replacements too.
syncBuiltinESMExports();
