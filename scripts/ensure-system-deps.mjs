#!/usr/bin/env node
// Makes sure the Debian packages the tests need are present (ENVIRONMENT.md). Quick when they
// are; installs them when root; otherwise prints the exact command and fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian package → a file that proves it is installed. */
export const PACKAGES = {
  postgresql: '/usr/lib/postgresql/15/bin/postgres',
  'postgresql-client': '/usr/bin/psql',
  'postgresql-contrib': '/usr/lib/postgresql/15/bin/pgbench',
  'mariadb-server': '/usr/sbin/mariadbd',
  'mariadb-client': '/usr/bin/mariadb',
  'openssh-server': '/usr/sbin/sshd',
  'openssh-client': '/usr/bin/ssh',
  chromium: '/usr/bin/chromium',
  'libsecret-1-dev': '/usr/include/libsecret-1/libsecret/secret.h',
  'gnome-keyring': '/usr/bin/gnome-keyring-daemon',
  dbus: '/usr/bin/dbus-daemon',
  'dbus-x11': '/usr/bin/dbus-launch',
  xvfb: '/usr/bin/Xvfb',
  tmux: '/usr/bin/tmux',
  openssl: '/usr/bin/openssl',
};

const missing = Object.entries(PACKAGES)
  .filter(([, proof]) => !existsSync(proof))
  .map(([name]) => name);

if (missing.length === 0) {
  console.log(`system packages: all ${Object.keys(PACKAGES).length} present`);
  process.exit(0);
}

const command = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
// --lenient (npm's preinstall): say what is missing but let the install go on; `npm test` is strict.
const lenient = process.argv.includes('--lenient');
if (!isRoot) {
  console.error(`Missing system packages: ${missing.join(', ')}.\nRun as root:\n  sudo sh -c '${command}'`);
  process.exit(lenient ? 0 : 1);
}
console.log(`installing system packages: ${missing.join(' ')}`);
// Keep services from starting: the tests start their own servers on random ports.
const policy = '/usr/sbin/policy-rc.d';
const hadPolicy = existsSync(policy);
if (!hadPolicy) execFileSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod +x ${policy}`]);
const result = spawnSync('sh', ['-c', command], { stdio: 'inherit' });
if (!hadPolicy) spawnSync('rm', ['-f', policy]);
if (result.status !== 0) {
  console.error(`apt-get failed (exit ${result.status}); the command was:\n  ${command}`);
  process.exit(1);
}
const still = Object.entries(PACKAGES).filter(([, proof]) => !existsSync(proof)).map(([n]) => n);
if (still.length) {
  console.error(`still missing after install: ${still.join(', ')}`);
  process.exit(1);
}
