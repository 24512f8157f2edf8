// The session token as a registry entry: mirrored from the session's snapshots, so the one
// list shows it beside the leases created with it. Renew and revoke act through the session.
import type { SessionSnapshot } from '../vault-session/session-types';
import type { LeaseRegistry } from './types';

export interface TrackableSession {
  snapshot(): SessionSnapshot;
  onChange(listener: (snapshot: SessionSnapshot) => void): () => void;
  renewNow(): Promise<SessionSnapshot>;
  logout(options?: { revoke?: boolean }): Promise<SessionSnapshot>;
}

/** The registry id of a token: `token:<accessor>`. */
export const tokenEntryId = (accessor: string) => `token:${accessor}`;

interface Link {
  users: number;
  off: () => void;
}
const linked = new WeakMap<LeaseRegistry, WeakMap<TrackableSession, Link>>();

/**
 * Keep the registry's session-token entry in step with the session; returns an unsubscribe.
 * Linking the same session to the same registry again shares the first link (counted), so the
 * app and the proxy may both ask for it.
 */
export function trackSessionToken(registry: LeaseRegistry, session: TrackableSession): () => void {
  const links = linked.get(registry) ?? new WeakMap<TrackableSession, Link>();
  linked.set(registry, links);
  const existing = links.get(session);
  const link = existing ?? { users: 0, off: () => {} };
  link.users++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--link.users === 0) {
      link.off();
      links.delete(session);
    }
  };
  if (existing) return release;
  links.set(session, link);
  let current: string | undefined;

  const sync = (snap: SessionSnapshot) => {
    // A login in progress decides nothing yet: a failed attempt keeps the session it replaces.
    if (snap.state === 'logging-in') return;
    const hasToken =
      (snap.state === 'authenticated' || snap.state === 'renewing' || snap.state === 'expiring') && !!snap.accessor;
    const id = hasToken ? tokenEntryId(snap.accessor!) : undefined;
    if (current && current !== id) {
      const state = snap.state === 'logged-out' ? 'revoked' : id ? 'evicted' : 'expired';
      registry.end(
        current,
        state,
        snap.state === 'logged-out'
          ? 'logged out'
          : id
            ? 'replaced by a new login'
            : (snap.error ?? 'the session ended'),
      );
      current = undefined;
    }
    if (!id) return;
    if (current !== id) {
      current = id;
      registry.track(
        {
          id,
          kind: 'session-token',
          path: snap.loginPath ?? 'auth/token/lookup-self',
          accessor: snap.accessor!,
          renewable: snap.renewable ?? false,
          origin: { type: 'session' },
          ...(snap.issuedAt ? { issuedAt: snap.issuedAt } : {}),
          ...(snap.expiresAt ? { expiresAt: snap.expiresAt } : {}),
        },
        {
          renew: async () => {
            const after = await session.renewNow();
            const ttl = after.expiresAt ? Math.max(0, Math.round((after.expiresAt.getTime() - Date.now()) / 1000)) : 0;
            return { ttl, renewable: after.renewable ?? false };
          },
          revoke: async () => {
            // A token Sesame was handed (typed, a token file) is the developer's other logins too.
            if (session.snapshot().minted !== true) {
              throw new Error(
                'Sesame did not create this token (it was typed or read from a token file), so it does not revoke it; Log out forgets it',
              );
            }
            await session.logout({ revoke: true });
          },
        },
      );
      return;
    }
    registry.update(id, {
      expiresAt: snap.expiresAt ?? null,
      renewable: snap.renewable ?? false,
      renewals: snap.renewals ?? 0,
      ...(snap.lastRenewedAt ? { lastRenewedAt: snap.lastRenewedAt } : {}),
      lastError: snap.error ?? null,
      state: snap.state === 'renewing' ? 'renewing' : 'active',
    });
  };

  sync(session.snapshot());
  link.off = session.onChange(sync);
  return release;
}
