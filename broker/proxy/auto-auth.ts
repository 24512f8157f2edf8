// What the proxy's pieces need to know about the session: Vault Agent's auto-auth token.
export interface AutoAuthSource {
  /** The session token now, '' when there is none; never waits. */
  current(): Promise<string>;
  /** The registry id of the session token's entry, when logged in. */
  entryId(): string | undefined;
}
