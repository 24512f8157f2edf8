// A client connection's credential, the same for every connector: fetched when the login asks
// for it (under the handshake deadline, where there is one), fetched afresh once when the backend
// refuses it (rotation), and always released: when replaced, at the end, or on arrival when
// that is after the end (a fetch that outlived a timeout), so a per-connection lease never leaks.
import type { ConnectorContext, Credential } from '../connector';
import type { PhaseDeadline } from './deadline';
import { BackendRefusedError, CredentialError, describeError, type ErrorCodes } from './errors';

/** The credentials one client connection fetched, until `end()`. */
export interface HeldCredentials {
  /**
   * Asks the source; what arrives is held (released at once if the connection has ended).
   * `onHold` hears when the fetch waits for a Vault login.
   */
  fetch(refresh: boolean, onHold?: (held: boolean) => void): Promise<Credential>;
  /** Done with `credential` before the end (the backend refused it). */
  release(credential: Credential): void;
  /** The client connection is over: release everything held, and anything still to arrive. */
  end(): void;
}

export function holdCredentials(ctx: ConnectorContext): HeldCredentials {
  const held = new Set<Credential>();
  let ended = false;
  return {
    fetch(refresh, onHold) {
      const pending = ctx.credentials.get({ ...(refresh ? { refresh: true } : {}), ...(onHold ? { onHold } : {}) });
      // Registered before the caller awaits, so a credential is held before anyone uses it.
      pending.then(
        (credential) => (ended ? releaseCredential(ctx, credential) : held.add(credential)),
        () => {},
      );
      return pending;
    },
    release(credential) {
      if (held.delete(credential)) releaseCredential(ctx, credential);
    },
    end() {
      ended = true;
      for (const credential of held) releaseCredential(ctx, credential);
      held.clear();
    },
  };
}

/** One login attempt's credential. */
export interface PendingCredential {
  /** Starts fetching now, so the fetch overlaps other work (MySQL: the backend's TLS handshake). */
  start(): void;
  /** The credential, fetched if not started yet; the wait is the deadline's current phase. */
  get(): Promise<Credential>;
}

export interface CredentialLogin<C> {
  readonly codes: ErrorCodes<C>;
  readonly held: HeldCredentials;
  /** The handshake's deadline; absent for SSH, whose client login has one timer of its own. */
  readonly deadline?: PhaseDeadline<C>;
  /** Told when the credential waits for a Vault login (SSH pauses its own timer). */
  readonly onHold?: (held: boolean) => void;
}

/**
 * Runs `login` with a credential. When it throws a BackendRefusedError that `refusedCredential`,
 * the credential is released and `login` runs once more (`retry`) with one fetched afresh; a
 * second refusal is thrown as it is. A source's failure becomes a CredentialError with the
 * protocol's code that names the source; a timeout or abort passes through.
 */
export async function loginWithCredential<T, C>(
  ctx: ConnectorContext,
  options: CredentialLogin<C>,
  login: (credential: PendingCredential, retry: boolean) => Promise<T>,
): Promise<T> {
  for (let retry = false; ; retry = true) {
    const credential = pendingCredential(ctx, options, retry);
    try {
      return await login(credential, retry);
    } catch (err) {
      const stale = credential.value;
      if (retry || !stale || !(err instanceof BackendRefusedError && err.refusedCredential)) throw err;
      ctx.log.info('the backend refused the credential; fetching it afresh', { path: stale.path });
      options.held.release(stale);
    }
  }
}

function pendingCredential<C>(
  ctx: ConnectorContext,
  options: CredentialLogin<C>,
  refresh: boolean,
): PendingCredential & { readonly value?: Credential } {
  const { codes, held, deadline } = options;
  const source = ctx.credentials.description;
  let fetching: Promise<Credential> | undefined;
  let value: Credential | undefined;
  const start = () => {
    if (!fetching) {
      fetching = fetchOnce().then((credential) => (value = credential));
      fetching.catch(() => {}); // reported to whoever awaits it
    }
    return fetching;
  };
  // Held for a Vault login: the handshake's clock waits, and the app is told who is waiting.
  const onHold = (on: boolean) => {
    deadline?.hold(on);
    options.onHold?.(on);
    ctx.waitingForLogin?.(on);
  };
  const fetchOnce = async () => {
    const pending = held.fetch(refresh, onHold);
    try {
      return await (deadline ? deadline.race(pending) : pending);
    } catch (err) {
      // Timed out or turned off: reported as such; a credential that still comes is released.
      if (deadline && err === deadline.signal.reason) throw err;
      const cause = err instanceof CredentialError ? err : undefined;
      const message = `could not get the credential from ${source}: ${describeError(err)}`;
      throw new CredentialError(cause?.kind ?? 'vault', message, cause?.vaultKind, {
        code: codes.credential,
        cause: err,
      });
    }
  };
  return {
    start: () => void start(),
    get() {
      deadline?.phase(`fetching the credential from ${source}`, codes.credential);
      return start();
    },
    get value() {
      return value;
    },
  };
}

/** Hands the credential back to its source (ends a per-connection lease); failures are logged. */
export function releaseCredential(ctx: ConnectorContext, credential: Credential): void {
  const fetcher = ctx.credentials;
  if (!fetcher.release) return;
  Promise.resolve()
    .then(() => fetcher.release?.(credential))
    .catch((err: unknown) =>
      ctx.log.warn('could not release the credential', { path: credential.path, error: describeError(err) }),
    );
}
