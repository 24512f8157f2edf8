// Vault's error answers: `{"errors": [...]}` with the status codes and wordings Vault uses.

export class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; ') || `HTTP ${status}`);
    this.name = 'VaultError';
  }
}

/** Go's hashicorp/go-multierror text, which Vault puts in some error strings verbatim. */
export function multiError(messages: string[]): string {
  const head = messages.length === 1 ? '1 error occurred:' : `${messages.length} errors occurred:`;
  return `${head}\n${messages.map((m) => `\t* ${m}`).join('\n')}\n\n`;
}

export const badRequest = (message: string): VaultError => new VaultError(400, [message]);

/** A missing token: Vault answers the bare message. */
export const missingToken = (): VaultError => new VaultError(403, ['permission denied']);

/** A token that is unknown, expired or revoked. */
export const invalidToken = (): VaultError => new VaultError(403, [multiError(['permission denied', 'invalid token'])]);

/** A valid token whose policies do not allow the request. */
export const permissionDenied = (): VaultError => new VaultError(403, [multiError(['permission denied'])]);

/** A missing KV secret or similar: 404 with an empty list. */
export const notFound = (): VaultError => new VaultError(404, []);

export const noRoute = (path: string): VaultError =>
  new VaultError(404, [`no handler for route "${path}". route entry not found.`]);

export const unsupportedPath = (): VaultError => new VaultError(404, [multiError(['unsupported path'])]);

export const unsupportedOperation = (): VaultError => new VaultError(405, [multiError(['unsupported operation'])]);

export const sealed = (): VaultError => new VaultError(503, ['Vault is sealed']);
