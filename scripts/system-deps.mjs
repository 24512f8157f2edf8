// The Debian packages the tests need (ENVIRONMENT.md): each with a file that proves it is
// installed, so checking costs no dpkg call.
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
  // The benches' hop floor (bench/lib/relays.ts): broker/socat on every data-phase row.
  socat: '/usr/bin/socat',
};

export function missingPackages() {
  return Object.entries(PACKAGES)
    .filter(([, proof]) => !existsSync(proof))
    .map(([name]) => name);
}

export function installCommand(names) {
  return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${names.join(' ')}`;
}
