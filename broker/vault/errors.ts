// Typed Vault errors. A message names the Vault path and what went wrong, never a token or a
// secret value; callers can branch on `kind` instead of parsing strings.
export type VaultErrorKind =
  'unreachable' | 'sealed' | 'permission-denied' | 'not-found' | 'bad-request' | 'rate-limited' | 'server' | 'timeout';

export class VaultError extends Error {
  constructor(
    readonly kind: VaultErrorKind,
    message: string,
    readonly path: string,
    readonly status?: number,
    /** Vault's own `errors` strings (they never carry secrets). */
    readonly vaultErrors: readonly string[] = [],
  ) {
    super(message);
    this.name = 'VaultError';
  }

  /** Network faults, rate limits and 5xx are worth another try; 4xx are final. */
  get retryable(): boolean {
    return (
      this.kind === 'unreachable' || this.kind === 'timeout' || this.kind === 'rate-limited' || this.kind === 'server'
    );
  }
}

export function errorForStatus(
  status: number,
  path: string,
  vaultErrors: readonly string[],
  address: string,
): VaultError {
  const detail = vaultErrors.filter(Boolean).join('; ');
  switch (true) {
    case status === 403:
      return new VaultError(
        'permission-denied',
        `Vault denied access to ${path}${detail && detail !== 'permission denied' ? `: ${detail}` : ''} (permission denied)`,
        path,
        status,
        vaultErrors,
      );
    case status === 404:
      return new VaultError(
        'not-found',
        `Nothing at ${path} in Vault${detail ? `: ${detail}` : ''}`,
        path,
        status,
        vaultErrors,
      );
    case status === 503 && /sealed/i.test(detail):
      return new VaultError('sealed', `Vault at ${address} is sealed`, path, status, vaultErrors);
    case status === 429:
      return new VaultError(
        'rate-limited',
        `Vault at ${address} is busy or standby (429) for ${path}`,
        path,
        status,
        vaultErrors,
      );
    case status >= 500:
      return new VaultError(
        'server',
        `Vault answered ${status} for ${path}${detail ? `: ${detail}` : ''}`,
        path,
        status,
        vaultErrors,
      );
    default:
      return new VaultError(
        'bad-request',
        `Vault refused ${path} (${status})${detail ? `: ${detail}` : ''}`,
        path,
        status,
        vaultErrors,
      );
  }
}
