import { defineConfig } from '@playwright/test';

// Journeys in Debian's Chromium (Playwright's own browsers cannot be downloaded here) against
// the real CLI, host and sandbox servers. Screenshots are kept in out/test-results/e2e.
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.e2e.ts',
  outputDir: '../out/test-results/e2e',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  reporter: [['list'], ['json']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
