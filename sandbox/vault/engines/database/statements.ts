// Statement templates, generated usernames/passwords, and error redaction for the database
// engine.
import { randomInt } from 'node:crypto';
import { base62 } from '../../ids';

/**
 * Vault splits each configured statement on ';' and runs the pieces in order; `{{name}}` and
 * `{{username}}` are the user, `{{password}}` its password, `{{expiration}}` the lease end.
 */
export function renderStatements(
  templates: string[],
  values: { name: string; password?: string; expiration?: string },
): string[] {
  const out: string[] = [];
  for (const t of templates) {
    for (const piece of t.split(';')) {
      const s = piece.trim();
      if (s === '') continue;
      out.push(
        s
          .replaceAll('{{name}}', values.name)
          .replaceAll('{{username}}', values.name)
          .replaceAll('{{password}}', values.password ?? '')
          .replaceAll('{{expiration}}', values.expiration ?? ''),
      );
    }
  }
  return out;
}

/** Go's "2006-01-02 15:04:05-0700", the format Vault gives `{{expiration}}`. */
export function expirationText(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}+0000`;
}

/** Vault's default username template: v-<display>-<role>-<random 20>-<unix time>, truncated. */
export function generateUsername(
  displayName: string,
  roleName: string,
  limits: { max: number; display: number; role: number },
): string {
  const name = `v-${displayName.slice(0, limits.display)}-${roleName.slice(0, limits.role)}-${base62(20)}-${Math.floor(Date.now() / 1000)}`;
  return name.slice(0, limits.max);
}

/** Vault's default password policy: 20 characters with a lower, an upper, a digit and a dash. */
export function generatePassword(): string {
  const chars = [...base62(19)];
  const classes = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'];
  classes.forEach((set, i) => {
    if (!chars.some((c) => set.includes(c))) chars[i] = set[randomInt(set.length)] as string;
  });
  chars.splice(randomInt(chars.length + 1), 0, '-');
  return chars.join('');
}

/** An error's message with every secret (and statement holding one) replaced. */
export function redact(e: unknown, secrets: string[]): string {
  let text = e instanceof Error ? e.message : String(e);
  for (const s of secrets) if (s.length >= 4) text = text.split(s).join('[redacted]');
  return text;
}
