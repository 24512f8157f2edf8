// Answers in Vault's own error shape, `{"errors": [...]}`, so clients (the vault CLI,
// node-vault, hvac) report them as they report Vault's.
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; ') || `HTTP ${status}`);
    this.name = 'ProxyError';
  }
}

export const badRequest = (message: string) => new ProxyError(400, [message]);

export function errorBody(errors: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({ errors }));
}
