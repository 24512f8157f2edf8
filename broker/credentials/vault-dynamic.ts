// Credentials from a Vault dynamic secrets engine (`database/creds/<role>`): a real database
// user whose life is a Vault lease.
//
// - `shared`: one lease serves every session. It is fetched on first use, renewed at ~2/3 of
//   its TTL, and replaced by a fresh one before it ends (renewal refused, max TTL reached), so
//   new sessions never get a dying user. While Vault is unreachable the cached credential is
//   still handed out until its lease ends. A replaced lease is revoked once no session holds it.
// - `per-connection`: every session gets a fresh user; `release` revokes its lease.
//
// `onLease` reports each lease's life (ids, paths, TTLs — never the values) so the lease
// registry can mirror it:
//   issued        Vault created the lease (ttl = its lease_duration)
//   renewed       Vault extended it (ttl = what Vault granted; may be capped by the max TTL)
//   renew-failed  a renewal failed (reason); retried while the lease lives, replaced if final
//   revoked       revoked at Vault (reason: released | rotated | replaced | closed)
//   expired       it ended at Vault without being revoked by us (reason says why)
import type { Credential, CredentialFetcher } from '../connector';
import type { Logger } from '../log';
import { VaultError, type VaultClient } from '../vault';
import { CredentialError } from './errors';
import { createHoldFanout, withSessionToken, type HoldOptions, type SessionTokenSource } from './session-token';

export type DynamicLeaseMode = 'shared' | 'per-connection';

export interface DynamicLeaseEvent {
  type: 'issued' | 'renewed' | 'renew-failed' | 'revoked' | 'expired';
  leaseId: string;
  /** The Vault path the credential came from, e.g. `database/creds/orders-ro`. */
  path: string;
  mode: DynamicLeaseMode;
  /** Seconds the lease has left at this event (0 once it ended). */
  ttl: number;
  expiresAt: Date;
  renewable: boolean;
  /** Why it ended or why renewal failed; names paths and causes, never a value. */
  reason?: string;
}

export interface VaultDynamicSource {
  /** `database/creds/<role>` (any `<mount>/creds/<role>` of a leasing engine). */
  path: string;
  lease: DynamicLeaseMode;
  /** Seconds asked for at each renewal (default: the TTL Vault first granted). */
  renewIncrement?: number;
  /** Fields the secret must carry (default: username and password). */
  required?: readonly string[];
  /**
   * A shared lease with less than this left is not handed to new sessions while a fresh one can
   * be had (default: 5 minutes, at most a quarter of the lease's first TTL).
   */
  expiryMarginMs?: number;
  onLease?: (event: DynamicLeaseEvent) => void;
  log?: Logger;
}

export interface VaultDynamicFetcher extends CredentialFetcher {
  readonly mode: DynamicLeaseMode;
  /** Leases this fetcher holds at Vault now (ids and times only). */
  leases(): { leaseId: string; expiresAt: Date; holders: number; current: boolean }[];
  /** Revokes every lease it holds and stops renewing; later `get()` calls fail. */
  close(): Promise<void>;
}

const PATH_SHAPE = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.@+=-]+)+$/;
const MAX_TIMER_MS = 2 ** 31 - 1;
const DEFAULT_MARGIN_MS = 5 * 60_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** How long a revocation may take when the source closes (the app quits). */
const CLOSING_REVOKE_MS = 3_000;

interface HeldLease {
  readonly leaseId: string;
  readonly values: Readonly<Record<string, string>>;
  readonly firstTtlMs: number;
  expiresAt: number;
  renewable: boolean;
  /** Vault will not extend it further (max TTL reached, not renewable, renewal refused). */
  final: boolean;
  holders: number;
  /** Set when a shared lease stops being handed out; it is revoked once nobody holds it. */
  retired?: string;
  failures: number;
  timers: Set<NodeJS.Timeout>;
  /** The revocation under way, so a lease is revoked once. */
  revoking?: Promise<void>;
}

function checkSource(source: VaultDynamicSource): string {
  const path = typeof source.path === 'string' ? source.path.trim().replace(/^\/+|\/+$/g, '') : '';
  const bad = (what: string) => new CredentialError('config', `vault-dynamic: ${what}`);
  if (!PATH_SHAPE.test(path) || path.split('/').includes('..')) {
    throw bad(`path '${String(source.path)}' is not a Vault path such as database/creds/orders-ro`);
  }
  if (source.lease !== 'shared' && source.lease !== 'per-connection') {
    throw bad(`lease must be 'shared' or 'per-connection' (got '${String(source.lease)}')`);
  }
  const increment = source.renewIncrement;
  if (increment !== undefined && (!Number.isInteger(increment) || increment < 1 || increment > 10 * 365 * 86_400)) {
    throw bad(`renewIncrement must be a whole number of seconds ≥ 1 (got ${String(increment)})`);
  }
  const margin = source.expiryMarginMs;
  if (margin !== undefined && (!Number.isFinite(margin) || margin < 0))
    throw bad(`expiryMarginMs must be ≥ 0 (got ${String(margin)})`);
  return path;
}

export function createVaultDynamicFetcher(
  vault: VaultClient,
  session: SessionTokenSource,
  source: VaultDynamicSource,
): VaultDynamicFetcher {
  const path = checkSource(source);
  const mode = source.lease;
  const required = source.required ?? ['username', 'password'];
  const held = new Map<string, HeldLease>();
  let current: HeldLease | undefined;
  let inflight: Promise<HeldLease> | undefined;
  /** Clients waiting on the shared lease's read share its hold for a login. */
  const sharedHolds = createHoldFanout();
  let closed = false;
  const log = source.log;

  const emit = (lease: HeldLease, type: DynamicLeaseEvent['type'], reason?: string) => {
    const ended = type === 'revoked' || type === 'expired';
    const ttl = ended ? 0 : Math.max(0, Math.round((lease.expiresAt - Date.now()) / 1000));
    const event: DynamicLeaseEvent = {
      type,
      leaseId: lease.leaseId,
      path,
      mode,
      ttl,
      expiresAt: new Date(lease.expiresAt),
      renewable: lease.renewable && !lease.final,
    };
    if (reason !== undefined) event.reason = reason;
    try {
      source.onLease?.(event);
    } catch (err) {
      log?.warn('an onLease listener threw', { path, error: (err as Error).message });
    }
  };

  /** Runs `fn` at `at` (epoch ms) without keeping the process alive; re-arms past setTimeout's limit. */
  const at = (lease: HeldLease, when: number, fn: () => void) => {
    const delay = Math.max(0, when - Date.now());
    const timer = setTimeout(
      () => {
        lease.timers.delete(timer);
        if (delay > MAX_TIMER_MS) at(lease, when, fn);
        else fn();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref();
    lease.timers.add(timer);
  };
  const stopTimers = (lease: HeldLease) => {
    for (const timer of lease.timers) clearTimeout(timer);
    lease.timers.clear();
  };
  const marginOf = (lease: HeldLease) => Math.min(source.expiryMarginMs ?? DEFAULT_MARGIN_MS, lease.firstTtlMs / 4);
  const retryDelay = (lease: HeldLease) =>
    Math.min(
      RETRY_MAX_MS,
      RETRY_MIN_MS * 2 ** Math.min(6, lease.failures - 1),
      Math.max(RETRY_MIN_MS, (lease.expiresAt - Date.now()) / 4),
    );

  function vaultFailure(error: unknown, what: string): CredentialError {
    if (error instanceof CredentialError) return error;
    if (error instanceof VaultError) {
      if (error.kind === 'not-found')
        return new CredentialError('not-found', `Vault has nothing at ${path}: is the role name right?`);
      return new CredentialError('vault', error.message, error.kind);
    }
    return new CredentialError('vault', `${what} ${path} failed: ${(error as Error).message ?? String(error)}`);
  }

  /** A new lease; `hold` hears when the read waits for a Vault login. */
  async function issue(hold: HoldOptions): Promise<HeldLease> {
    let response;
    try {
      response = await withSessionToken(session, hold, (token) =>
        vault.request<Record<string, unknown>>({ method: 'GET', path, token }),
      );
    } catch (error) {
      throw vaultFailure(error, 'reading');
    }
    const leaseId = typeof response?.lease_id === 'string' ? response.lease_id : '';
    const ttl = typeof response?.lease_duration === 'number' ? response.lease_duration : 0;
    if (!leaseId || ttl <= 0) {
      throw new CredentialError(
        'config',
        `Vault answered ${path} without a lease: vault-dynamic needs a dynamic secret such as database/creds/<role>`,
      );
    }
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(response?.data ?? {})) {
      if (typeof value === 'string' || typeof value === 'number') values[key] = String(value);
    }
    const now = Date.now();
    const lease: HeldLease = {
      leaseId,
      values,
      firstTtlMs: ttl * 1000,
      expiresAt: now + ttl * 1000,
      renewable: response?.renewable === true,
      final: response?.renewable !== true,
      holders: 0,
      failures: 0,
      timers: new Set(),
    };
    held.set(leaseId, lease);
    emit(lease, 'issued');
    const missing = required.find((field) => !values[field]);
    if (missing !== undefined || closed) {
      await revoke(lease, closed ? 'closed' : 'released');
      if (closed) throw new CredentialError('config', `vault-dynamic ${path}: the connection was closed`);
      throw new CredentialError('missing-field', `the Vault secret at ${path} has no '${missing}' field`);
    }
    arm(lease);
    return lease;
  }

  /** Timers of a live lease: renewal at ~2/3 of what is left, its end, and (shared) its replacement. */
  function arm(lease: HeldLease): void {
    stopTimers(lease);
    const now = Date.now();
    at(lease, lease.expiresAt, () =>
      end(lease, lease.final ? 'it reached its max TTL' : 'it could not be renewed in time'),
    );
    if (!lease.final) at(lease, now + ((lease.expiresAt - now) * 2) / 3, () => void renew(lease));
    else if (lease === current) at(lease, lease.expiresAt - marginOf(lease), () => void replaceCurrent());
  }

  async function renew(lease: HeldLease): Promise<void> {
    const increment = source.renewIncrement ?? Math.round(lease.firstTtlMs / 1000);
    try {
      const token = await session.token();
      const response = await vault.request({
        method: 'PUT',
        path: 'sys/leases/renew',
        body: { lease_id: lease.leaseId, increment },
        token,
      });
      if (!held.has(lease.leaseId) || lease.revoking) return;
      const granted = typeof response?.lease_duration === 'number' ? response.lease_duration : 0;
      if (granted <= 0) throw new CredentialError('vault', `Vault did not extend the lease of ${path}`);
      lease.expiresAt = Date.now() + granted * 1000;
      lease.renewable = response?.renewable === true;
      lease.final = !lease.renewable || granted < increment;
      lease.failures = 0;
      emit(lease, 'renewed');
      arm(lease);
    } catch (error) {
      if (!held.has(lease.leaseId) || lease.revoking) return;
      const failure = vaultFailure(error, 'renewing the lease of');
      lease.failures++;
      emit(lease, 'renew-failed', failure.message);
      log?.warn('could not renew a dynamic credential lease', { path, leaseId: lease.leaseId, error: failure.message });
      // Vault said no (lease unknown, past its max TTL, denied): it will not be extended.
      const transient =
        failure.vaultKind === undefined ||
        ['unreachable', 'timeout', 'server', 'rate-limited', 'sealed'].includes(failure.vaultKind);
      if (!transient) {
        lease.final = true;
        arm(lease);
        if (lease === current) void replaceCurrent();
        return;
      }
      at(lease, Date.now() + retryDelay(lease), () => void renew(lease));
      if (lease === current && Date.now() >= lease.expiresAt - marginOf(lease)) void replaceCurrent();
    }
  }

  /** Fetches a fresh shared lease (one at a time); the old one is retired. */
  function obtainShared(hold: HoldOptions = sharedHolds): Promise<HeldLease> {
    inflight ??= issue(hold)
      .then((fresh) => {
        const old = current;
        current = fresh;
        arm(fresh);
        if (old) retire(old, 'replaced');
        return fresh;
      })
      .finally(() => (inflight = undefined));
    return inflight;
  }

  async function replaceCurrent(): Promise<void> {
    const old = current;
    if (!old || closed) return;
    try {
      await obtainShared();
    } catch (error) {
      old.failures++;
      log?.warn('could not replace an ending dynamic credential; the current one is used until it ends', {
        path,
        error: (error as Error).message,
      });
      if (current === old && held.has(old.leaseId)) at(old, Date.now() + retryDelay(old), () => void replaceCurrent());
    }
  }

  function retire(lease: HeldLease, reason: string): void {
    if (lease === current) current = undefined;
    lease.retired = reason;
    if (lease.holders === 0) void revoke(lease, reason);
  }

  function revoke(lease: HeldLease, reason: string): Promise<void> {
    if (lease === current) current = undefined;
    stopTimers(lease);
    lease.revoking ??= revokeAtVault(lease, reason).finally(() => (lease.revoking = undefined));
    return lease.revoking;
  }

  async function revokeAtVault(lease: HeldLease, reason: string): Promise<void> {
    // At shutdown nobody waits for a login or a slow Vault: one short try, then the lease is
    // left to end at Vault (said in the log). Quitting must not hang on an unreachable Vault.
    const closing = reason === 'closed';
    try {
      const token = await session.token(closing ? { waitMs: 0 } : undefined);
      await vault.request({
        method: 'PUT',
        path: 'sys/leases/revoke',
        body: { lease_id: lease.leaseId },
        token,
        ...(closing ? { attempts: 1, timeoutMs: CLOSING_REVOKE_MS } : {}),
      });
      if (held.delete(lease.leaseId)) emit(lease, 'revoked', reason);
    } catch (error) {
      // It lives on at Vault until its end; say so then.
      const message = vaultFailure(error, 'revoking the lease of').message;
      log?.warn('could not revoke a dynamic credential lease', { path, leaseId: lease.leaseId, error: message });
      lease.final = true;
      at(lease, lease.expiresAt, () => end(lease, `its revocation failed (${message})`));
    }
  }

  function end(lease: HeldLease, reason: string): void {
    if (lease === current) current = undefined;
    stopTimers(lease);
    if (held.delete(lease.leaseId)) emit(lease, 'expired', reason);
  }

  const credentialOf = (lease: HeldLease): Credential => {
    lease.holders++;
    return { values: lease.values, path, leaseId: lease.leaseId, expiresAt: new Date(lease.expiresAt) };
  };

  async function getShared(refresh: boolean, hold: HoldOptions): Promise<Credential> {
    if (refresh && current) retire(current, 'rotated');
    const cached = current;
    const now = Date.now();
    if (cached && now < cached.expiresAt - marginOf(cached)) return credentialOf(cached);
    // A check does not wait behind a read that waits for a login, nor mint a second lease.
    if (hold.noWait && sharedHolds.holding)
      throw new CredentialError('no-session', `vault-dynamic ${path}: waiting for a Vault login`);
    const leave = sharedHolds.join(hold.onHold);
    try {
      return credentialOf(await obtainShared(hold.noWait ? hold : sharedHolds).finally(leave));
    } catch (error) {
      // Vault is down or refusing: the cached user still works until its lease ends.
      if (cached && held.has(cached.leaseId) && Date.now() < cached.expiresAt && !cached.retired) {
        log?.info('using the cached dynamic credential: a fresh one could not be fetched', {
          path,
          error: (error as Error).message,
        });
        return credentialOf(cached);
      }
      throw error;
    }
  }

  return {
    mode,
    description: `vault-dynamic ${path}`,
    offlineOutlook() {
      if (mode !== 'shared')
        return {
          keepsWorking: false,
          detail: 'each client gets its own database user from Vault, so new clients fail; open sessions keep running',
        };
      const lease = current;
      if (lease && !lease.retired && held.has(lease.leaseId) && lease.expiresAt > Date.now())
        return {
          keepsWorking: true,
          until: new Date(lease.expiresAt),
          detail: 'the shared database user keeps working until its lease ends',
        };
      return { keepsWorking: false, detail: 'no database user is held, so new clients fail until Vault answers' };
    },
    async get(options) {
      if (closed) throw new CredentialError('config', `vault-dynamic ${path}: the connection was closed`);
      const hold: HoldOptions = options?.noWait ? { noWait: true } : options?.onHold ? { onHold: options.onHold } : {};
      if (mode === 'shared') return getShared(options?.refresh === true, hold);
      return credentialOf(await issue(hold));
    },
    async release(credential) {
      const lease = credential.leaseId === undefined ? undefined : held.get(credential.leaseId);
      if (!lease || lease.holders === 0) return;
      lease.holders--;
      if (lease.holders > 0) return;
      if (mode === 'per-connection') await revoke(lease, 'released');
      else if (lease.retired !== undefined) await revoke(lease, lease.retired);
    },
    leases: () =>
      [...held.values()].map((l) => ({
        leaseId: l.leaseId,
        expiresAt: new Date(l.expiresAt),
        holders: l.holders,
        current: l === current,
      })),
    async close() {
      closed = true;
      current = undefined;
      await inflight?.catch(() => undefined);
      await Promise.all([...held.values()].map((lease) => revoke(lease, 'closed')));
    },
  };
}
