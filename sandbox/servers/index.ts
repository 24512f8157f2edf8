// Ephemeral real servers for tests, benchmarks, e2e and `sesame sandbox`: PostgreSQL, MariaDB,
// OpenSSH sshd and a headless keychain, on free loopback ports in temp dirs, cleaned up on
// stop and on any way the process ends.
export { onCleanup, runCleanupNow, type CleanupFunction } from './cleanup';
export {
  startProcess,
  runCommand,
  startError,
  ServerStartError,
  createTempDir,
  removeTempDir,
  keepOnlyLogs,
  logTail,
  type ManagedProcess,
  type ManagedProcessOptions,
  type ProcessExit,
  type ReadyOptions,
  type RunAs,
  type RunCommandOptions,
  type CommandResult,
} from './process';
export { freePort, isPortOpen, withFreePort } from './ports';
export { randomPassword } from './password';
export {
  createTestCa,
  issueCertificate,
  createLocalhostCertificate,
  type TestCa,
  type IssuedCertificate,
  type TlsFiles,
  type KeyType,
  type CaOptions,
  type CertificateOptions,
} from './tls';
export {
  startPostgres,
  DEFAULT_POSTGRES_BIN_DIR,
  type PostgresServer,
  type PostgresOptions,
  type PostgresAuthMethod,
} from './postgres';
export { startMariaDb, type MariaDbServer, type MariaDbOptions } from './mariadb';
export {
  startSshd,
  SSHD_BINARY,
  createSshKeyPair,
  createSshUserCa,
  signUserKey,
  type SshdServer,
  type SshdOptions,
  type SshKeyPair,
  type SshUserCa,
  type SignedUserKey,
  type SignOptions,
} from './sshd';
export { startKeychain, type Keychain, type KeychainOptions } from './keychain';
