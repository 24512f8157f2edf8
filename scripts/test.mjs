#!/usr/bin/env node
// `npm test`: everything a change must pass, in order, failing fast on the cheap checks.
// system packages → typecheck → lint (incl. the layering rule) → renderer and Electron shell
// builds → unit and integration tests (vitest) → e2e journeys (Playwright + Chromium, in browser
// mode and Electron-shaped). Prints one closing line
// `N passed, N failed` counted over vitest and Playwright.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { keychainModuleStatus } from './keychain-module.mjs';

const root = path.resolve(import.meta.dirname, '..');
const results = path.join(root, 'out', 'test-results');
mkdirSync(results, { recursive: true });
const env = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', FORCE_COLOR: process.env.CI ? '0' : '1' };
const only = process.argv.slice(2);
const started = Date.now();

function step(name, command, args, extraEnv = {}) {
  if (only.length && !only.includes(name)) return true;
  const t0 = Date.now();
  console.log(`\n▶ ${name}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  const ok = result.status === 0;
  console.log(`${ok ? '✔' : '✘'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return ok;
}

function counts(file, pick) {
  if (!existsSync(file)) return { passed: 0, failed: 0, skipped: 0 };
  try {
    return pick(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return { passed: 0, failed: 0, skipped: 0 };
  }
}

const vitestJson = path.join(results, 'vitest.json');
const playwrightJson = path.join(results, 'playwright.json');
const npx = 'npx';
const checks = [
  () => step('system', process.execPath, ['scripts/ensure-system-deps.mjs']),
  () =>
    step('typecheck', npx, ['tsc', '-p', 'tsconfig.json']) &&
    step('typecheck-renderer', npx, ['tsc', '-p', 'renderer/tsconfig.json']) &&
    step('typecheck-renderer-tests', npx, ['tsc', '-p', 'renderer/tsconfig.test.json']),
  () => step('lint', npx, ['eslint', '--max-warnings', '0', '.']) && step('format', npx, ['prettier', '--check', '.']),
  () =>
    step('build', npx, ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']) &&
    step('build-shell', npx, ['tsx', 'main/build.ts']),
];
let ok = checks.every((check) => check());
let unitOk = false;
let e2eOk = false;
// keytar is optional (built at npm install): say in one line whether the keychain tests run.
const keychain = keychainModuleStatus(root);
const keychainLine = keychain.ok
  ? `keychain module: keytar ${keychain.version} loads; the keychain tests run against gnome-keyring on a private D-Bus`
  : `keychain module: NOT USABLE (${keychain.detail}), so the keychain tests are SKIPPED; to run them: apt-get install libsecret-1-dev && npm install`;
if (ok && (only.length === 0 || only.includes('unit'))) console.log(`\n${keychainLine}`);
if (ok) {
  unitOk = step('unit', npx, [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${vitestJson}`,
  ]);
  e2eOk = step('e2e', npx, ['playwright', 'test', '-c', 'e2e/playwright.config.ts'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
  });
  ok = unitOk && e2eOk;
}

const unit = counts(vitestJson, (r) => ({
  passed: r.numPassedTests,
  failed: r.numFailedTests,
  skipped: r.numPendingTests + (r.numTodoTests ?? 0),
}));
const e2e = counts(playwrightJson, (r) => ({
  passed: r.stats.expected,
  failed: r.stats.unexpected + (r.stats.flaky ?? 0),
  skipped: r.stats.skipped,
}));
const passed = unit.passed + e2e.passed;
const failed = unit.failed + e2e.failed + (ok ? 0 : unit.failed + e2e.failed === 0 ? 1 : 0);
console.log(
  `\nvitest: ${unit.passed} passed, ${unit.failed} failed, ${unit.skipped} skipped · playwright: ${e2e.passed} passed, ${e2e.failed} failed, ${e2e.skipped} skipped · ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
if (!keychain.ok) console.log(keychainLine);
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
