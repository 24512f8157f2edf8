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
    /** For 'unreachable': the network error's code (ECONNREFUSED, HPE_INVALID_CONSTANT, …). */
    readonly code?: string,
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

/**
 * Vault's error strings, one per problem: Go's multierror text ("2 errors occurred:\n\t* a\n\t*
 * b") is split into its items, and an item said twice is kept once.
 */
export function vaultErrorItems(raw: readonly string[]): string[] {
  const items: string[] = [];
  for (const text of raw) {
    const listed = /^\d+ errors? occurred:/.test(text)
      ? [...text.matchAll(/^\s*\* (.+)$/gm)].map((m) => m[1]!.trim())
      : [text.trim()];
    for (const item of listed) if (item && !items.includes(item)) items.push(item);
  }
  return items;
}

export function errorForStatus(
  status: number,
  path: string,
  rawErrors: readonly string[],
  address: string,
): VaultError {
  const vaultErrors = vaultErrorItems(rawErrors);
  const detail = vaultErrors.join('; ');
  switch (true) {
    // An unknown, expired or revoked token: said as such, once.
    case status === 403 && vaultErrors.includes('invalid token'):
      return new VaultError(
        'permission-denied',
        `Vault refused the token for ${path}: it is invalid, expired or revoked`,
        path,
        status,
        vaultErrors,
      );
    case status === 403: {
      const other = vaultErrors.filter((e) => e !== 'permission denied').join('; ');
      return new VaultError(
        'permission-denied',
        `Vault denied access to ${path}${other ? `: ${other}` : ''} (permission denied)`,
        path,
        status,
        vaultErrors,
      );
    }
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

/** Network error codes in words; TLS trust problems point at the CA certificate setting. */
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there (ECONNREFUSED)',
  ENOTFOUND: 'the host name is unknown (ENOTFOUND)',
  EAI_AGAIN: 'the host name cannot be resolved right now (EAI_AGAIN)',
  ECONNRESET: 'the connection was reset (ECONNRESET)',
  EHOSTUNREACH: 'the host cannot be reached (EHOSTUNREACH)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed; set the CA certificate that signed it',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is not trusted; set the CA certificate that signed it',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted; set the CA certificate that signed it',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  EPROTO: 'the TLS handshake failed (is it http rather than https?)',
};

/**
 * A network failure in plain words, ending with its code. A wrong port or scheme is the usual
 * cause of the HTTP parser's HPE_* codes (the address speaks another protocol).
 */
export function networkWords(code: string): string {
  if (NETWORK_WORDS[code]) return NETWORK_WORDS[code];
  if (code.startsWith('HPE_'))
    return `that address does not speak HTTP (${code}); check it is Vault's address and port, and http:// or https://`;
  if (code.startsWith('ERR_SSL_')) return `the TLS handshake failed (${code}; is it http rather than https?)`;
  return code;
}
