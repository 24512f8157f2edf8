// The Vault session: the token Sesame acts with, how it was obtained, and keeping it alive
// (Vault Agent's auto-auth). It is the one place that holds the token; everything else asks
// `token()` for it and sees only the snapshot (accessor, policies, expiry), never the token.
//
// Lifecycle: renew at ~2/3 of the TTL with jitter until Vault stops extending it (max TTL);
// then a non-interactive login (AppRole, JWT file, token file) logs in again by itself, while an
// interactive one warns ('expiring') before it ends. Failures back off exponentially.
import { EventEmitter } from 'node:events';
import { CredentialError } from '../credentials';
import type { Logger } from '../log';
import { VaultError, type VaultAuth, type VaultClient } from '../vault';
import { performLogin } from './login';
import { canReauthenticate, parseLoginRequest, type LoginMethod, type LoginRequest } from './login-request';
import { createLoginWaiters } from './login-waiters';
import { backoffDelayMs, renewDelayMs, unrefTimer, watchForWake } from './timing';
import type { SessionEvent, SessionOptions, SessionSnapshot, SessionState, VaultSession } from './session-types';
import { createTokenStore, tokenAccount, type TokenStore } from './token-store';
import { createTokenSink } from './token-sink';
import { unwatchFile, watchFile, type Stats } from 'node:fs';

export type { LoginMethod, LoginRequest } from './login-request';
export type {
  SessionEvent,
  SessionOptions,
  SessionSnapshot,
  SessionState,
  TokenOptions,
  VaultSession,
} from './session-types';
export { renewDelayMs } from './timing';

interface Held {
  token: string;
  method: LoginMethod;
  accessor: string;
  expiresAt?: number;
  /** Seconds asked for at each renewal: the token's creation TTL (or period). */
  increment: number;
  renewable: boolean;
  /** Vault stopped extending the token: no more renewals. */
  atMax: boolean;
  warned: boolean;
  /** Sesame created it by logging in (not a token it was handed): logout may revoke it. */
  minted: boolean;
}

interface TokenLookup {
  accessor: string;
  policies: string[] | null;
  ttl: number;
  renewable: boolean;
  display_name: string;
  creation_ttl?: number;
  period?: number;
  explicit_max_ttl?: number;
  issue_time?: string;
  creation_time?: number;
  /** Where the token was created: `auth/token/create`, `auth/userpass/login/alice` … */
  path?: string;
}

export function createVaultSession(vault: VaultClient, log: Logger, options: SessionOptions = {}): VaultSession {
  let sink = options.tokenSink ? createTokenSink(options.tokenSink) : undefined;
  const emitter = new EventEmitter();
  const waiters = createLoginWaiters();
  const loginWaitMs = options.loginWaitMs ?? 120_000;
  const warningMs = options.expiryWarningMs ?? 300_000;
  const minBackoff = options.minBackoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 300_000;
  const tokenFileWatchMs = options.tokenFileWatchMs ?? 1_000;
  const store: TokenStore | undefined = options.store
    ? createTokenStore(options.store, tokenAccount(vault.address, vault.namespace), log)
    : undefined;
  const autoAuth = options.autoAuth ? parseLoginRequest(options.autoAuth) : undefined;
  if (autoAuth && !canReauthenticate(autoAuth))
    throw new TypeError(
      `autoAuth must be a non-interactive login (approle, jwt with jwtFile, token with tokenFile), not ${autoAuth.method}`,
    );

  let held: Held | undefined;
  let snap: SessionSnapshot = { state: 'logged-out', policies: [], ...(store ? { persistence: store.kind } : {}) };
  let reauthRequest: LoginRequest | undefined;
  /** Bumped by every adopt/logout/close: async work started under another epoch is discarded. */
  let epoch = 0;
  let loginSeq = 0;
  let loginAbort: AbortController | undefined;
  let reauthRunning: Promise<void> | undefined;
  let renewFailures = 0;
  let reauthFailures = 0;
  let loginRequested = false;
  let persistenceWarned = false;
  /** One lookup-self at a time when requests report the token refused. */
  let checkingRefusal: Promise<boolean> | undefined;
  const timers = new Set<NodeJS.Timeout>();

  const set = (next: SessionSnapshot) => {
    snap = next;
    emitter.emit('change', { ...snap });
  };
  const emit = (event: SessionEvent) => emitter.emit('event', event);
  const later = (fn: () => void, ms: number) => {
    const timer = unrefTimer(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const clearTimers = () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
  const valid = (h: Held | undefined): h is Held => !!h && (h.expiresAt === undefined || h.expiresAt > Date.now());
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

  async function persist(h: Held | undefined) {
    if (store?.kind === 'memory' && !persistenceWarned) {
      persistenceWarned = true;
      emit({ type: 'persistence-unavailable', reason: store.unavailableReason ?? 'no OS keychain' });
    }
    try {
      if (store) {
        if (h)
          await store.save({
            token: h.token,
            accessor: h.accessor,
            expiresAt: h.expiresAt ? new Date(h.expiresAt).toISOString() : null,
            method: h.method,
          });
        else await store.remove();
      }
    } catch (error) {
      log.warn('could not update the keychain', { error: message(error) });
      emit({ type: 'persistence-failed', error: message(error) });
    }
    try {
      if (sink) {
        if (h) await sink.write(h.token);
        else if (!(await sink.remove()))
          log.info('left the token sink as it is: it does not hold the token Sesame wrote', { file: sink.file });
      }
    } catch (error) {
      log.warn('could not update the token sink', { error: message(error) });
    }
  }

  /** Read the token's own view of itself: proves it valid and gives policies and expiry. */
  async function adopt(token: string, method: LoginMethod, loginPath: string, auth?: VaultAuth): Promise<void> {
    const response = await vault.request<TokenLookup>({
      method: 'GET',
      path: 'auth/token/lookup-self',
      token,
      attempts: 2,
    });
    const data = response?.data;
    if (!data) throw new Error('Vault answered lookup-self with no data');
    const now = Date.now();
    const ttl = data.ttl ?? 0;
    const issuedMs = data.issue_time ? Date.parse(data.issue_time) : (data.creation_time ?? 0) * 1000;
    const maxExpiresAt = data.explicit_max_ttl && issuedMs ? issuedMs + data.explicit_max_ttl * 1000 : undefined;
    epoch++;
    clearTimers();
    renewFailures = 0;
    reauthFailures = 0;
    loginRequested = false;
    held = {
      token,
      method,
      accessor: data.accessor,
      ...(ttl > 0 ? { expiresAt: now + ttl * 1000 } : {}),
      increment: data.period || data.creation_ttl || auth?.lease_duration || ttl,
      renewable: data.renewable,
      atMax: !data.renewable,
      warned: false,
      minted: method !== 'token',
    };
    set({
      state: 'authenticated',
      method,
      displayName: data.display_name,
      policies: data.policies ?? [],
      accessor: data.accessor,
      renewable: data.renewable,
      // A token handed to us (token file, keychain) names the path it was created at itself.
      loginPath: loginPath === 'auth/token/lookup-self' && data.path ? data.path : loginPath,
      renewals: 0,
      reauthenticates: reauthRequest !== undefined,
      minted: method !== 'token',
      ...(held.expiresAt ? { expiresAt: new Date(held.expiresAt) } : {}),
      ...(issuedMs ? { issuedAt: new Date(issuedMs) } : {}),
      ...(maxExpiresAt ? { maxExpiresAt: new Date(maxExpiresAt) } : {}),
      ...(store ? { persistence: store.kind } : {}),
    });
    await persist(held);
    log.info('logged in', { method, accessor: data.accessor, policies: data.policies, ttl });
    plan();
    waiters.resolveAll(token);
  }

  /**
   * After the computer slept (or the process was paused), timers ran late or not yet: look at
   * the token by the wall clock now — expired: end it (a configured login runs, or the user is
   * asked); past its renewal time: renew now; otherwise re-arm the timers from the wall clock.
   */
  function resync(lateMs: number): void {
    log.info('timers ran late (the computer slept or Sesame was paused); checking the session', {
      lateMs,
    });
    const h = held;
    if (!h || h.expiresAt === undefined || snap.state === 'renewing') return;
    if (h.expiresAt <= Date.now()) return void ended('the Vault token expired while the computer slept');
    if (h.renewable && !h.atMax) return void renew();
    plan();
  }
  const wake = watchForWake(resync, options.wakeCheck);

  /** Arm the timers for the held token: renew, log in again, warn, expire. */
  function plan() {
    clearTimers();
    const h = held;
    if (!h || h.expiresAt === undefined) return;
    const remainingMs = h.expiresAt - Date.now();
    later(() => void ended('the Vault token expired'), remainingMs);
    if (h.renewable && !h.atMax) later(() => void renew(), renewDelayMs(remainingMs / 1000));
    else if (reauthRequest)
      later(() => void reauthenticate('the token reached its max TTL'), renewDelayMs(remainingMs / 1000));
    const lastMoment = h.atMax || !h.renewable ? h.expiresAt : snap.maxExpiresAt?.getTime();
    if (!reauthRequest && lastMoment !== undefined)
      later(() => warnExpiring(lastMoment), lastMoment - warningMs - Date.now());
  }

  function warnExpiring(at: number) {
    if (!held || held.warned) return;
    held.warned = true;
    set({ ...snap, state: 'expiring' });
    emit({ type: 'expiring', expiresAt: new Date(at) });
    log.warn('the Vault session will expire; log in again to keep it', { expiresAt: new Date(at).toISOString() });
  }

  const settledState = (): SessionState => (held?.warned ? 'expiring' : 'authenticated');

  async function renew(): Promise<void> {
    const h = held;
    if (!h) return;
    const mine = epoch;
    set({ ...snap, state: 'renewing' });
    try {
      const response = await vault.request({
        method: 'POST',
        path: 'auth/token/renew-self',
        token: h.token,
        body: { increment: h.increment },
        attempts: 1,
      });
      if (mine !== epoch) return;
      const auth = response?.auth;
      if (!auth) throw new Error('Vault answered renew-self with no auth block');
      const now = Date.now();
      h.expiresAt = now + auth.lease_duration * 1000;
      h.renewable = auth.renewable;
      // Vault grants less than asked only when the max TTL cuts it short: the last renewal.
      h.atMax = !auth.renewable || auth.lease_duration < h.increment;
      renewFailures = 0;
      const { error: _cleared, ...rest } = snap;
      set({
        ...rest,
        state: settledState(),
        expiresAt: new Date(h.expiresAt),
        renewable: auth.renewable,
        renewals: (snap.renewals ?? 0) + 1,
        lastRenewedAt: new Date(now),
      });
      emit({ type: 'renewed', expiresAt: new Date(h.expiresAt), atMaxTtl: h.atMax });
      log.info('renewed the Vault token', { ttl: auth.lease_duration });
      await persist(h);
      plan();
    } catch (error) {
      if (mine !== epoch) return;
      if (error instanceof VaultError && error.kind === 'permission-denied')
        return void ended('Vault no longer accepts the session token (it was revoked)');
      if (error instanceof VaultError && error.kind === 'bad-request') {
        h.atMax = true; // "not renewable": ride it out to its expiry
        set({ ...snap, state: settledState(), error: `renewal refused: ${error.message}` });
        return plan();
      }
      renewFailures++;
      log.warn('token renewal failed', { error: message(error), failures: renewFailures });
      if (reauthRequest) {
        set({ ...snap, state: settledState(), error: `renewal failed: ${message(error)}` });
        emit({ type: 'renewal-failed', error: message(error) });
        return void reauthenticate(`renewal failed: ${message(error)}`);
      }
      const delay = backoffDelayMs(renewFailures, minBackoff, maxBackoff);
      const retry = h.expiresAt !== undefined && Date.now() + delay < h.expiresAt;
      set({
        ...snap,
        state: settledState(),
        error: `renewal failed: ${message(error)}${retry ? `; retrying in ${Math.ceil(delay / 1000)} s` : ''}`,
      });
      emit({ type: 'renewal-failed', error: message(error), ...(retry ? { retryInMs: delay } : {}) });
      if (retry) later(() => void renew(), delay);
    }
  }

  // A token file whose token Vault refuses is not retried on a timer (it will not get better):
  // the file is watched, and the next attempt comes when it changes (a new `vault login`).
  let tokenFileWatch: { file: string; stop(): void } | undefined;
  function stopWatchingTokenFile(): void {
    tokenFileWatch?.stop();
    tokenFileWatch = undefined;
  }
  function retryWhenTokenFileChanges(file: string, reason: string): void {
    stopWatchingTokenFile();
    const listener = (now: Stats, before: Stats) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
      stopWatchingTokenFile();
      log.info('the token file changed; logging in with it', { file });
      void reauthenticate(reason);
    };
    watchFile(file, { interval: tokenFileWatchMs, persistent: false }, listener);
    tokenFileWatch = { file, stop: () => unwatchFile(file, listener) };
  }

  /** Log in again with the non-interactive request; keeps trying with backoff. */
  function reauthenticate(reason: string): Promise<void> {
    const request = reauthRequest;
    if (!request) return Promise.resolve();
    reauthRunning ??= (async () => {
      // Only an explicit login, logout or close makes this attempt stale (not expiry meanwhile).
      const mine = loginSeq;
      if (!valid(held))
        set({
          state: 'logging-in',
          method: request.method,
          policies: [],
          reauthenticates: true,
          ...(store ? { persistence: store.kind } : {}),
        });
      log.info('logging in again', { method: request.method, reason });
      try {
        const outcome = await performLogin(request, { vault, log });
        if (mine !== loginSeq || reauthRequest !== request) return;
        await adopt(outcome.token, request.method, outcome.path, outcome.auth);
        emit({ type: 'reauthenticated', method: request.method });
      } catch (error) {
        if (mine !== loginSeq || reauthRequest !== request) return;
        if (
          request.method === 'token' &&
          request.tokenFile &&
          error instanceof VaultError &&
          error.kind === 'permission-denied'
        ) {
          const text = `the token in ${request.tokenFile} is invalid or revoked (Vault refused it); Sesame logs in with it again when the file changes`;
          log.warn('the token file holds a token Vault refuses; waiting for the file to change', {
            file: request.tokenFile,
          });
          set({ ...snap, state: 'error', error: text });
          emit({ type: 'reauth-failed', error: text });
          retryWhenTokenFileChanges(request.tokenFile, reason);
          return;
        }
        reauthFailures++;
        const delay = backoffDelayMs(reauthFailures, minBackoff, maxBackoff);
        const text = `could not log in again with ${request.method}: ${message(error)}; retrying in ${Math.ceil(delay / 1000)} s`;
        log.warn('re-authentication failed', {
          method: request.method,
          error: message(error),
          failures: reauthFailures,
        });
        set(valid(held) ? { ...snap, error: text } : { ...snap, state: 'error', error: text });
        emit({ type: 'reauth-failed', error: message(error), retryInMs: delay });
        later(() => void reauthenticate(reason), delay);
      }
    })().finally(() => (reauthRunning = undefined));
    return reauthRunning;
  }

  /** The token is gone (expired or revoked): forget it, then log in again or say so. */
  async function ended(reason: string): Promise<void> {
    if (!held) return;
    epoch++;
    clearTimers();
    held = undefined;
    log.warn('the Vault session ended', { reason });
    emit({ type: 'expired', reason });
    await persist(undefined);
    if (reauthRequest) return void reauthenticate(reason);
    set({ ...snap, state: 'expired', error: `${reason}; log in again` });
  }

  const noSessionReason = () =>
    snap.state === 'expired'
      ? 'the Vault session expired'
      : snap.state === 'error'
        ? `the Vault login failed (${snap.error ?? 'unknown error'})`
        : 'Sesame is not logged in to Vault';

  async function restore(): Promise<SessionSnapshot> {
    if (!store) return { ...snap };
    if (store.kind === 'memory' && !persistenceWarned) {
      persistenceWarned = true;
      emit({ type: 'persistence-unavailable', reason: store.unavailableReason ?? 'no OS keychain' });
    }
    let stored;
    try {
      stored = await store.load();
    } catch (error) {
      log.warn('could not read the keychain', { error: message(error) });
      emit({ type: 'persistence-failed', error: message(error) });
      return { ...snap };
    }
    if (!stored) return { ...snap };
    if (stored.expiresAt && Date.parse(stored.expiresAt) <= Date.now()) {
      await store.remove().catch(() => {});
      return { ...snap };
    }
    try {
      if (autoAuth?.method === stored.method) reauthRequest = autoAuth;
      await adopt(stored.token, stored.method, 'auth/token/lookup-self');
      emit({ type: 'restored', method: stored.method });
    } catch (error) {
      reauthRequest = undefined;
      if (error instanceof VaultError && error.kind === 'permission-denied') {
        log.info('the stored Vault session is no longer valid; forgetting it');
        await store.remove().catch(() => {});
      } else {
        // Vault unreachable: the token may still be good; keep it for the next start.
        log.warn('could not check the stored Vault session', { error: message(error) });
        set({ ...snap, error: `could not restore the saved session: ${message(error)}` });
      }
    }
    return { ...snap };
  }

  async function setTokenSink(file: string | undefined): Promise<void> {
    if (sink?.file === file) return;
    const old = sink;
    sink = file ? createTokenSink(file) : undefined;
    try {
      if (old && !(await old.remove()))
        log.info('left the old token sink as it is: it does not hold the token Sesame wrote', { file: old.file });
      if (sink && held) await sink.write(held.token);
    } catch (error) {
      log.warn('could not move the token sink', { error: message(error) });
    }
  }

  return {
    snapshot: () => ({ ...snap }),
    setTokenSink,

    async login(input) {
      const request = parseLoginRequest(input);
      loginAbort?.abort();
      const abort = (loginAbort = new AbortController());
      const seq = ++loginSeq;
      const before = { held, snap, reauthRequest };
      set({ state: 'logging-in', method: request.method, policies: [], ...(store ? { persistence: store.kind } : {}) });
      try {
        const outcome = await performLogin(request, {
          vault,
          log,
          signal: abort.signal,
          ...(options.openBrowser ? { openBrowser: options.openBrowser } : {}),
          onUrl: (url) => {
            if (seq === loginSeq) set({ ...snap, loginUrl: url });
            emit({ type: 'login-url', url });
          },
        });
        if (seq !== loginSeq) throw new CredentialError('no-session', 'this login was replaced by a newer one');
        reauthRequest = canReauthenticate(request) ? request : undefined;
        await adopt(outcome.token, request.method, outcome.path, outcome.auth);
        return { ...snap };
      } catch (error) {
        if (seq === loginSeq) {
          reauthRequest = before.reauthRequest;
          const cancelled = abort.signal.aborted;
          // A failed attempt does not end a session that is still good.
          if (valid(before.held) && held === before.held)
            set(
              cancelled
                ? { ...before.snap }
                : { ...before.snap, error: `login with ${request.method} failed: ${message(error)}` },
            );
          // Cancelling is the user's choice, not a failure: back to where they were.
          else if (cancelled) set({ state: 'logged-out', policies: [], ...(store ? { persistence: store.kind } : {}) });
          else
            set({
              state: 'error',
              method: request.method,
              policies: [],
              error: message(error),
              ...(store ? { persistence: store.kind } : {}),
            });
        }
        throw error;
      } finally {
        if (loginAbort === abort) loginAbort = undefined;
      }
    },

    cancelLogin() {
      loginAbort?.abort();
    },

    async logout(opts) {
      loginAbort?.abort();
      loginSeq++;
      epoch++;
      clearTimers();
      reauthRequest = undefined;
      const current = held;
      held = undefined;
      stopWatchingTokenFile();
      if (current?.minted && opts?.revoke !== false) {
        await vault
          .request({ method: 'POST', path: 'auth/token/revoke-self', token: current.token, attempts: 2 })
          .catch((error: Error) => {
            log.warn('could not revoke the token at logout', { error: error.message });
          });
      }
      await persist(undefined);
      set({ state: 'logged-out', policies: [], ...(store ? { persistence: store.kind } : {}) });
      waiters.rejectAll(new CredentialError('no-session', 'logged out of Vault'));
      return { ...snap };
    },

    async token(opts) {
      if (valid(held)) return held.token;
      // Past its expiry by the wall clock while its timer has not fired (the computer slept):
      // end it now, so a configured login runs or the user is asked, instead of a silent wait.
      if (held) await ended('the Vault token expired while Sesame was not running (the computer slept?)');
      const waitMs = opts?.waitMs ?? loginWaitMs;
      const busy = snap.state === 'logging-in' || reauthRunning !== undefined;
      if (waitMs <= 0 || (snap.state === 'logged-out' && !busy && !options.interactive)) {
        throw new CredentialError('no-session', `${noSessionReason()}; log in to Vault in Sesame`);
      }
      if (!reauthRequest && !loginRequested) {
        loginRequested = true;
        emit({ type: 'login-required', reason: noSessionReason(), timeoutMs: waitMs });
      }
      return waiters.wait(waitMs, noSessionReason, opts?.signal, opts?.onHold);
    },

    tokenRefused(token) {
      // The token was replaced or dropped meanwhile: ask again (a new one, or a hold).
      if (!held || held.token !== token) return Promise.resolve(true);
      checkingRefusal ??= (async () => {
        try {
          await vault.request({ method: 'GET', path: 'auth/token/lookup-self', token, attempts: 1 });
          return false; // still valid: the refusal was a policy's
        } catch (error) {
          if (!(error instanceof VaultError && error.kind === 'permission-denied')) return false;
          if (held?.token === token)
            await ended('Vault no longer accepts the session token (revoked, or expired at Vault)');
          return true;
        }
      })().finally(() => (checkingRefusal = undefined));
      return checkingRefusal;
    },

    async renewNow() {
      if (!held) throw new CredentialError('no-session', `${noSessionReason()}; nothing to renew`);
      if (!held.renewable) throw new Error('the session token is not renewable');
      await renew();
      return { ...snap };
    },

    restore,

    async start() {
      await restore();
      if (!valid(held) && autoAuth) {
        reauthRequest = autoAuth;
        await reauthenticate('start');
      }
      return { ...snap };
    },

    onChange(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
    onEvent(listener) {
      emitter.on('event', listener);
      return () => emitter.off('event', listener);
    },
    close() {
      wake.stop();
      stopWatchingTokenFile();
      loginAbort?.abort();
      epoch++;
      loginSeq++;
      clearTimers();
      reauthRequest = undefined;
      waiters.rejectAll(new CredentialError('no-session', 'Sesame is shutting down'));
    },
  };
}
