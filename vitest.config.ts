import { defineConfig } from 'vitest/config';

// Tests live beside the code they prove, sorted by what they need:
//   unit         `*.test.ts(x)`: no process, no browser, no server from sandbox/ — under a
//                minute (`npm run test:unit`); scripts/unit-test-guard.ts refuses a process
//                start and the layering rule refuses a sandbox/ import, so a misnamed test fails.
//   integration  `*.integration.test.ts(x)` and hardening/: real PostgreSQL, MariaDB, sshd,
//                the Vault dev server, Chromium, the keychain, the CLI — generous timeouts.
// No test asserts on timing.
const ALL = '{app,broker,main,sandbox,cli,scripts,renderer,hardening,bench,e2e}/**/';

export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [`${ALL}*.test.{ts,tsx}`],
          exclude: [`${ALL}*.integration.test.{ts,tsx}`, 'hardening/**', '**/node_modules/**'],
          setupFiles: ['scripts/unit-test-guard.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [`${ALL}*.integration.test.{ts,tsx}`, 'hardening/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
