// MySQL/MariaDB connector: clients connect with no password; the broker greets them itself, logs
// in to the backend with the credential (mysql_native_password, caching_sha2_password, auth
// switch; TLS per sslmode), relays the OK and pipes the rest, refusing COM_CHANGE_USER.
export { createMysqlConnector, type MysqlConnector } from './connector';
export {
  mysqlTargetSchema,
  resolveMysqlTarget,
  MysqlTargetError,
  MYSQL_SSL_MODES,
  type MysqlTarget,
  type ResolvedMysqlTarget,
  type MysqlSslMode,
} from './target';
// Its failures are broker/connector-kit's classes, carrying these codes.
export { MysqlError, MYSQL_CODES, type MysqlCode } from './errors';
