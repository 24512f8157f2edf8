// The Vault session: the token Sesame acts with, how it was obtained, and keeping it alive.
// It is the one place that holds the token; everything else asks `token()` for it and sees
// only the snapshot (accessor, policies, expiry), never the token itself.
import { EventEmitter } from 'node:events';
import { CredentialError } from '../credentials';
import type { Logger } from '../log';
import type { VaultAuth, VaultClient } from '../vault';

export type SessionState = 'logged-out' | 'logging-in' | 'authenticated' | 'renewing' | 'expiring' | 'expired' | 'error';
export type LoginMethod = 'token' | 'userpass' | 'approle' | 'jwt' | 'oidc';

export interface SessionSnapshot {
  state: SessionState;
  method?: LoginMethod;
  displayName?: string;
  policies: string[];
  accessor?: string;
  expiresAt?: Date;
  renewable?: boolean;
  error?: string;
}

export type LoginRequest =
  | { method: 'token'; token: string }
  | { method: 'userpass'; mount?: string; username: string; password: string }
  | { method: 'approle'; mount?: string; roleId: string; secretId: string }
  | { method: 'jwt'; mount?: string; role: string; jwt: string };

export interface VaultSession {
  snapshot(): SessionSnapshot;
  login(request: LoginRequest): Promise<SessionSnapshot>;
  /** Revoke the token at Vault (unless `keepToken`) and forget it. */
  logout(options?: { revoke?: boolean }): Promise<SessionSnapshot>;
  /** The current token, or a CredentialError('no-session') explaining why there is none. */
  token(): Promise<string>;
  onChange(listener: (snapshot: SessionSnapshot) => void): () => void;
  close(): void;
}

interface Held {
  token: string;
  method: LoginMethod;
}

/** Renew at about two thirds of the TTL, with jitter so many clients don't renew in step. */
export function renewDelayMs(ttlSeconds: number, random = Math.random): number {
  const base = (ttlSeconds * 1000 * 2) / 3;
  return Math.max(250, base - random() * ttlSeconds * 1000 * 0.1);
}

export function createVaultSession(vault: VaultClient, log: Logger): VaultSession {
  const emitter = new EventEmitter();
  let held: Held | undefined;
  let snap: SessionSnapshot = { state: 'logged-out', policies: [] };
  let renewTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;

  const set = (next: SessionSnapshot) => {
    snap = next;
    emitter.emit('change', { ...snap });
  };

  const clearTimers = () => {
    clearTimeout(renewTimer);
    clearTimeout(expiryTimer);
  };

  /** Read the token's own view of itself: proves it valid and gives policies and expiry. */
  async function adopt(token: string, method: LoginMethod): Promise<SessionSnapshot> {
    const response = await vault.request<{
      accessor: string;
      policies: string[];
      ttl: number;
      renewable: boolean;
      display_name: string;
      expire_time: string | null;
    }>({ method: 'GET', path: 'auth/token/lookup-self', token });
    const data = response?.data;
    if (!data) throw new Error('Vault answered lookup-self with no data');
    held = { token, method };
    const expiresAt = data.ttl > 0 ? new Date(Date.now() + data.ttl * 1000) : undefined;
    set({
      state: 'authenticated',
      method,
      displayName: data.display_name,
      policies: data.policies ?? [],
      accessor: data.accessor,
      renewable: data.renewable,
      ...(expiresAt ? { expiresAt } : {}),
    });
    schedule(data.ttl, data.renewable);
    log.info('logged in', { method, accessor: data.accessor, policies: data.policies, ttl: data.ttl });
    return { ...snap };
  }

  function schedule(ttlSeconds: number, renewable: boolean) {
    clearTimers();
    if (ttlSeconds <= 0) return;
    expiryTimer = setTimeout(() => {
      held = undefined;
      set({ ...snap, state: 'expired', error: 'the Vault token expired; log in again' });
    }, ttlSeconds * 1000);
    expiryTimer.unref();
    if (!renewable) return;
    renewTimer = setTimeout(() => void renew(), renewDelayMs(ttlSeconds));
    renewTimer.unref();
  }

  async function renew() {
    if (!held) return;
    set({ ...snap, state: 'renewing' });
    try {
      const response = await vault.request({ method: 'POST', path: 'auth/token/renew-self', token: held.token, body: {} });
      const auth = response?.auth as VaultAuth | null;
      if (!auth) throw new Error('Vault answered renew-self with no auth block');
      const previous = snap.expiresAt?.getTime() ?? 0;
      const expiresAt = new Date(Date.now() + auth.lease_duration * 1000);
      // Vault caps renewals at the max TTL: when the expiry stops moving, we are at the end.
      const atMax = expiresAt.getTime() <= previous + 1000;
      set({ ...snap, state: atMax ? 'expiring' : 'authenticated', expiresAt, renewable: auth.renewable });
      schedule(auth.lease_duration, auth.renewable && !atMax);
    } catch (error) {
      log.warn('token renewal failed', { error });
      set({ ...snap, state: 'expiring', error: `renewal failed: ${(error as Error).message}` });
    }
  }

  async function loginAuth(path: string, body: Record<string, unknown>, method: LoginMethod): Promise<SessionSnapshot> {
    const response = await vault.request({ method: 'POST', path, body });
    const token = response?.auth?.client_token;
    if (!token) throw new Error(`Vault answered ${path} with no token`);
    return adopt(token, method);
  }

  return {
    snapshot: () => ({ ...snap }),
    async login(request) {
      clearTimers();
      held = undefined;
      set({ state: 'logging-in', method: request.method, policies: [] });
      try {
        switch (request.method) {
          case 'token':
            return await adopt(request.token, 'token');
          case 'userpass':
            return await loginAuth(`auth/${request.mount ?? 'userpass'}/login/${encodeURIComponent(request.username)}`, { password: request.password }, 'userpass');
          case 'approle':
            return await loginAuth(`auth/${request.mount ?? 'approle'}/login`, { role_id: request.roleId, secret_id: request.secretId }, 'approle');
          case 'jwt':
            return await loginAuth(`auth/${request.mount ?? 'jwt'}/login`, { role: request.role, jwt: request.jwt }, 'jwt');
        }
      } catch (error) {
        set({ state: 'error', method: request.method, policies: [], error: (error as Error).message });
        throw error;
      }
    },
    async logout(options) {
      clearTimers();
      const current = held;
      held = undefined;
      if (current && options?.revoke !== false) {
        await vault.request({ method: 'POST', path: 'auth/token/revoke-self', token: current.token }).catch((error: Error) => {
          log.warn('could not revoke the token at logout', { error });
        });
      }
      set({ state: 'logged-out', policies: [] });
      return { ...snap };
    },
    async token() {
      if (held) return held.token;
      const why = snap.state === 'expired' ? 'the Vault session expired' : 'Sesame is not logged in to Vault';
      throw new CredentialError('no-session', `${why}; log in to Vault in Sesame`);
    },
    onChange(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
    close: clearTimers,
  };
}
