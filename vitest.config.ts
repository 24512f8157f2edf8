import { defineConfig } from 'vitest/config';

// Unit and integration tests live beside the code they prove (`*.test.ts`).
// Integration tests start real servers from sandbox/, so they get generous timeouts;
// no test asserts on timing.
export default defineConfig({
  test: {
    include: ['{app,broker,main,sandbox,cli,scripts,renderer,hardening}/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
