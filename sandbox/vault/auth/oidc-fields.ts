// Field helpers the OIDC auth method needs beyond ../fields.

/** Vault's warning when a write carries parameters the endpoint does not know (Go's `%v` of a slice). */
export function ignoredFieldsWarning(body: Record<string, unknown>, known: readonly string[]): string[] {
  const ignored = Object.keys(body).filter((k) => !known.includes(k));
  return ignored.length > 0 ? [`Endpoint ignored these unrecognized parameters: [${ignored.join(' ')}]`] : [];
}

/** Vault's GenericNameRegex: what a role name may look like. */
export const ROLE_NAME = /^\w(?:[\w\-.@]*\w)?$/;
