#!/usr/bin/env node
// npm's postinstall: builds keytar (the OS keychain module) once the system packages are in.
//
// Why here and not in keytar's own install script: npm runs the root package's `preinstall`
// (which installs libsecret-1-dev) only after every dependency's install scripts, so on a fresh
// machine keytar's native build ran before its headers existed, failed, and npm dropped the
// optional package without a word (npm/cli#2660). package.json therefore denies keytar's own
// scripts (`allowScripts`) and this step builds it with node-gyp after `preinstall`.
//
// It never fails the install: without keytar Sesame keeps the Vault login in memory only, and
// `npm test` says in one line that the keychain tests ran without it. It prints one line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { keychainModuleStatus } from './keychain-module.mjs';
import { missingPackages, installCommand } from './system-deps.mjs';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(path.join(root, 'package.json'));
const say = (line) => console.log(`keychain module: ${line}`);

const before = keychainModuleStatus(root);
if (before.ok) {
  say(`keytar ${before.version} loads (already built)`);
  process.exit(0);
}
if (before.reason === 'not-installed') {
  say(`keytar is not in node_modules (${before.detail}); the Vault login will last until Sesame quits`);
  process.exit(0);
}
const headers = missingPackages().filter((name) => name === 'libsecret-1-dev');
if (headers.length) {
  say(`keytar not built: libsecret-1-dev is missing. Run as root:  ${installCommand(headers)} && npm install`);
  process.exit(0);
}

// node-gyp as npm ships it (npm passes its path to scripts), else the one beside npm.
const nodeGyp = process.env.npm_config_node_gyp ?? findNpmNodeGyp();
if (!nodeGyp) {
  say('keytar not built: node-gyp was not found (npm normally provides it); run `npm install` again');
  process.exit(0);
}
const logDir = path.join(root, 'out', 'install');
mkdirSync(logDir, { recursive: true });
const logFile = path.join(logDir, 'keytar-build.log');
const log = openSync(logFile, 'w');
const started = Date.now();
const built = spawnSync(process.execPath, [nodeGyp, 'rebuild'], {
  cwd: path.dirname(require.resolve('keytar/package.json')),
  stdio: ['ignore', log, log],
  env: process.env,
});
const after = keychainModuleStatus(root);
if (built.status === 0 && after.ok) {
  say(`keytar ${after.version} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} else {
  const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
  say(`keytar could not be built (node-gyp exit ${built.status}; ${logFile}): ${tail}`);
}

function findNpmNodeGyp() {
  const npmCli = process.env.npm_execpath;
  const candidates = [
    npmCli && path.join(path.dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ].filter(Boolean);
  return candidates.find((candidate) => existsSync(candidate));
}
