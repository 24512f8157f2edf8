// Why a credential could not be had. Messages name the source (a Vault path) and the missing
// piece, never a value, so connectors can show them to the client as they are.
export type CredentialErrorKind = 'missing-field' | 'not-found' | 'vault' | 'no-session' | 'config';

export class CredentialError extends Error {
  constructor(
    readonly kind: CredentialErrorKind,
    message: string,
    /** The VaultError kind when the cause was Vault (unreachable, sealed, permission-denied…). */
    readonly vaultKind?: string,
  ) {
    super(message);
    this.name = 'CredentialError';
  }
}
