// How a registry entry is named on screen: short ids, kinds and origins in words.
import type { LeaseView, LeaseViewKind } from '../../../../app/api';
import type { LeaseAction } from '../../state/leases';

export const KIND_LABELS: Record<LeaseViewKind, string> = { token: 'Token', lease: 'Lease', kv: 'KV' };
export const KIND_PLURALS: Record<LeaseViewKind, string> = { token: 'Tokens', lease: 'Leases', kv: 'KV secrets' };

/**
 * The distinctive part of an id, short; the full id is copyable. Lease ids and accessors are
 * told apart by their start (`lease:database/creds/ro/4Zq8c1MaXy` → `4Zq8c1Ma…`), cached KV
 * secrets by their end, where the version is (`kv:|secret/data/app/config@3` → `…config@3`).
 */
export function shortId(id: string): string {
  const kv = id.startsWith('kv:');
  const bare = id.replace(/^(token|lease|kv):/, '');
  const tail = bare.slice(bare.lastIndexOf('/') + 1) || bare;
  if (tail.length <= 10) return tail;
  return kv ? `…${tail.slice(-8)}` : `${tail.slice(0, 8)}…`;
}

export function originLabel(origin: string): string {
  if (origin === 'proxy') return 'Proxy';
  if (origin === 'session') return 'Session';
  return origin.replace(/^connection:/, '');
}

/** The session's own token: it is renewed or revoked, never evicted (that is logging out). */
export function isSessionToken(view: LeaseView): boolean {
  return view.kind === 'token' && view.origin === 'session';
}

export function canRun(action: LeaseAction, view: LeaseView): boolean {
  if (view.state !== 'active') return false;
  switch (action) {
    case 'renew':
      return view.renewable && view.kind !== 'kv';
    case 'revoke':
      return view.kind !== 'kv';
    case 'evict':
      return !isSessionToken(view);
  }
}

export const ACTION_WORDS: Record<
  LeaseAction,
  { verb: string; title: string; explain(view: LeaseView): string; danger: boolean }
> = {
  renew: {
    verb: 'Renew',
    title: 'Renew this entry?',
    explain: (v) => `Vault is asked to extend ${v.kind === 'token' ? 'the token' : 'the lease'} from ${v.path}.`,
    danger: false,
  },
  revoke: {
    verb: 'Revoke',
    title: 'Revoke at Vault?',
    explain: (v) =>
      isSessionToken(v)
        ? 'This is your session token: revoking it logs you out of Vault and stops every connection that needs it.'
        : v.kind === 'token'
          ? `Vault revokes the token from ${v.path}, and everything created with it.`
          : `Vault revokes the lease from ${v.path}; a database user it created is dropped, and clients using it are cut off.`,
    danger: true,
  },
  evict: {
    verb: 'Evict',
    title: 'Evict from the cache?',
    explain: (v) =>
      `Sesame forgets the cached ${v.kind === 'kv' ? 'secret' : v.kind} from ${v.path}; nothing is revoked at Vault. The next request fetches it again.`,
    danger: true,
  },
};
