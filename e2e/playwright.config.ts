import { defineConfig } from '@playwright/test';
import type { AppMode } from './cli-process';

// Journeys in Debian's Chromium (Playwright's own browsers cannot be downloaded here) against
// the real CLI, host and sandbox servers — each once per mode: `browser` (sesame start
// --browser, the WebSocket bridge) and `electron` (sesame start with the Electron stand-in of
// e2e/electron: main/'s real composition, preload and IPC). Screenshots are kept in
// out/test-results/e2e.
export default defineConfig<object, { appMode: AppMode }>({
  testDir: '.',
  testMatch: '**/*.e2e.ts',
  outputDir: '../out/test-results/e2e',
  globalSetup: './global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  reporter: [['list'], ['json']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'browser', use: { appMode: 'browser' }, testIgnore: '**/desktop/**' },
    { name: 'electron', use: { appMode: 'electron' } },
  ],
});
