// known_hosts lines as OpenSSH reads them (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): markers
// (@cert-authority, @revoked), comma-separated host patterns with * ? and ! negation, the
// [host]:port form for non-22 ports, and hashed names (|1|salt|hmac-sha1).
import { createHmac } from 'node:crypto';
import { parsePublicKeyLine, SshKeyError } from './keys';

export interface KnownHostEntry {
  readonly marker: 'cert-authority' | 'revoked' | undefined;
  readonly patterns: readonly string[];
  readonly keyBlob: Buffer;
  readonly keyType: string;
  /** 1-based line number, for error messages. */
  readonly line: number;
}

export function parseKnownHosts(text: string, what: string): KnownHostEntry[] {
  if (typeof text !== 'string') throw new SshKeyError(`${what} must be text in known_hosts format`);
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift()!.slice(1);
      if (name !== 'cert-authority' && name !== 'revoked')
        throw new SshKeyError(`${what} line ${index + 1}: unknown marker @${name}`);
      marker = name;
    }
    const hosts = fields.shift();
    if (!hosts || fields.length < 2)
      throw new SshKeyError(`${what} line ${index + 1}: expected "HOSTS KEYTYPE BASE64KEY"`);
    const key = parsePublicKeyLine(fields.join(' '), `${what} line ${index + 1}`);
    entries.push({ marker, patterns: hosts.split(','), keyBlob: key.blob, keyType: key.type, line: index + 1 });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  return globToRegExp(pattern).test(name);
}

/** Does the entry apply to `host`:`port`? A matching negated pattern excludes it. */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('!')) {
      if (matchesPattern(pattern.slice(1), name)) return false;
    } else if (matchesPattern(pattern, name)) matched = true;
  }
  return matched;
}
