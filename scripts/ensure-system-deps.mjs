#!/usr/bin/env node
// Makes sure the Debian packages the tests need are present (ENVIRONMENT.md). Quick when they
// are; installs them when root (apt's output goes to out/install/apt.log); otherwise prints the
// exact command. Either way it prints one line that says which.
//   --lenient  npm's preinstall: a missing package is reported, the install goes on.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installCommand, missingPackages, PACKAGES } from './system-deps.mjs';

const lenient = process.argv.includes('--lenient');
const missing = missingPackages();
if (missing.length === 0) {
  console.log(`system packages: all ${Object.keys(PACKAGES).length} present`);
  process.exit(0);
}

const command = installCommand(missing);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `system packages: missing ${missing.join(', ')}. Run as root, then npm install again:\n  sudo sh -c '${command}'`,
  );
  process.exit(lenient ? 0 : 1);
}

const logDir = path.resolve(import.meta.dirname, '..', 'out', 'install');
mkdirSync(logDir, { recursive: true });
const logFile = path.join(logDir, 'apt.log');
const started = Date.now();
// Keep services from starting: the tests start their own servers on random ports.
const policy = '/usr/sbin/policy-rc.d';
const hadPolicy = existsSync(policy);
if (!hadPolicy) execFileSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod +x ${policy}`]);
const log = openSync(logFile, 'w');
const result = spawnSync('sh', ['-c', command], { stdio: ['ignore', log, log] });
if (!hadPolicy) spawnSync('rm', ['-f', policy]);
const still = missingPackages();
if (result.status !== 0 || still.length) {
  const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n  ');
  console.error(
    `system packages: apt-get failed (exit ${result.status}; ${logFile}); still missing ${still.join(', ') || 'none'}. The command was:\n  ${command}\n  ${tail}`,
  );
  process.exit(lenient ? 0 : 1);
}
console.log(
  `system packages: installed ${missing.join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s (apt's output: ${path.relative(process.cwd(), logFile)})`,
);
