// Fetching and releasing a session's credential, the same for every protocol: the fetch runs
// under the handshake deadline, and a credential is always released — also one that arrives
// after the session gave up on it, so a per-connection lease never leaks.
import type { ConnectorContext, Credential } from '../connector';

/** How a protocol recognises its own session errors and words a credential failure. */
export interface CredentialErrors {
  /** A timeout or abort from the deadline (reported as it is). */
  isSessionError(err: unknown): boolean;
  credentialError(message: string, options: { cause: unknown }): Error;
}

/** A short, safe description of any thrown value (errors from our code never hold secrets). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function fetchCredential(
  ctx: ConnectorContext,
  deadline: { race<T>(promise: Promise<T>): Promise<T> },
  refresh: boolean,
  errors: CredentialErrors,
): Promise<Credential> {
  const source = ctx.credentials.description;
  const pending = ctx.credentials.get(refresh ? { refresh: true } : undefined);
  try {
    return await deadline.race(pending);
  } catch (err) {
    if (errors.isSessionError(err)) {
      // Timed out or turned off: a credential that still arrives must not leak its lease.
      pending.then((late) => releaseCredential(ctx, late), () => {});
      throw err;
    }
    throw errors.credentialError(`could not get the credential from ${source}: ${describeError(err)}`, { cause: err });
  }
}

/** Hands the credential back to its source (ends a per-connection lease); failures are logged. */
export function releaseCredential(ctx: ConnectorContext, credential: Credential): void {
  const fetcher = ctx.credentials;
  if (!fetcher.release) return;
  Promise.resolve()
    .then(() => fetcher.release?.(credential))
    .catch((err: unknown) => ctx.log.warn('could not release the credential', { path: credential.path, error: describeError(err) }));
}
