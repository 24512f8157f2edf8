// PostgreSQL connector: clients connect with no password; the broker logs in to the backend with
// the credential (cleartext, md5, SCRAM-SHA-256[-PLUS], TLS per sslmode) and pipes the rest.
export { createPostgresConnector, type PostgresConnector } from './connector';
export {
  postgresTargetSchema,
  resolvePostgresTarget,
  PostgresTargetError,
  SSL_MODES,
  type PostgresTarget,
  type ResolvedPostgresTarget,
  type SslMode,
} from './target';
export { createCancelRegistry, type CancelRegistry, type CancelEntry, type CancelRegistration } from './cancel';
// Its failures are broker/connector-kit's classes, carrying these SQLSTATEs.
export { SqlState, PG_CODES } from './errors';
