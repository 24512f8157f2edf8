// Every journey runs twice: in browser mode (the browser bridge) and Electron-shaped (the real
// renderer bundle in the stand-in's window, window.sesame from the real preload over IPC to
// main's real handler and host). `appMode` says which; the projects in playwright.config.ts set it.
import { test as base } from '@playwright/test';
import type { AppMode } from './cli-process';

export const test = base.extend<object, { appMode: AppMode }>({
  appMode: ['browser', { scope: 'worker', option: true }],
});

export { expect } from '@playwright/test';
