// From a connection's config to the broker pieces that serve it: a connector for the protocol
// and a credential fetcher for the source. A protocol whose connector is not in this build is
// a ConnectionUnavailableError, which the host shows as that connection's error.
import type { LocalTlsIdentity } from '../../broker/connector-kit';
import type { Logger } from '../../broker/log';
import type { ConnectionSpec } from '../../broker/supervisor';
import type { CredentialFetcher } from '../../broker/connector';
import {
  createEnvFetcher,
  createLiteralFetcher,
  createVaultDynamicFetcher,
  createVaultKvFetcher,
  type DynamicLeaseEvent,
  type SessionTokenSource,
} from '../../broker/credentials';
import { createMysqlConnector } from '../../broker/mysql';
import { createPostgresConnector } from '../../broker/postgres';
import type { VaultClient } from '../../broker/vault';
import type { ConnectionConfig, CredentialsConfig } from '../config';
import { createFileFetcher, resolveConfigPath, withFixedValues } from './credential-sources';
import { sshConnectorFor, type SshHostKeys } from './ssh';
import { sshAgentPartsFor, type KeyApprover } from './ssh-agent';
import { createVaultSshCertificateSource } from '../../broker/ssh';

export interface ConnectionDeps {
  vault: VaultClient;
  session: SessionTokenSource;
  /** Directory relative paths in the config are resolved against (the config file's). */
  baseDir: string;
  /** Host keys of the local SSH endpoints, prepared before specs are built. */
  sshHostKeys?: SshHostKeys;
  /** Where connections log for themselves (the ssh-agent; leases that could not be renewed or revoked), per connection. */
  log?: Logger;
  /** Dynamic leases a connection takes and ends, for the lease registry. */
  onLease?(connection: string, event: DynamicLeaseEvent): void;
  /** The database brokers' TLS identity for clients that ask for TLS (app/host/local-tls.ts). */
  localTls?: LocalTlsIdentity;
  /** Asks the user before a key is used (key.confirm); absent where nobody can answer (the daemon). */
  approveKeyUse?: KeyApprover;
}

/** The config names a protocol whose connector this build does not have yet. */
export class ConnectionUnavailableError extends Error {
  constructor(protocol: string) {
    super(`${protocol} connections are not available in this build yet`);
    this.name = 'ConnectionUnavailableError';
  }
}

/** Fields each protocol's connector needs from the credential. */
const REQUIRED_FIELDS: Record<ConnectionConfig['protocol'], string[]> = {
  postgres: ['username', 'password'],
  mysql: ['username', 'password'],
  ssh: [],
  'ssh-agent': ['private_key'],
};

export function credentialFetcherFor(
  source: CredentialsConfig,
  required: string[],
  deps: ConnectionDeps,
  connection = '',
): CredentialFetcher {
  switch (source.from) {
    case 'vault-ssh-sign':
      return createVaultSshCertificateSource(deps.vault, deps.session, {
        mount: source.mount,
        role: source.role,
        principals: source.principals,
        ...(source.ttl ? { ttl: source.ttl } : {}),
        ...(source.extensions ? { extensions: source.extensions } : {}),
      });
    case 'vault-dynamic': {
      const fetched = required.filter((field) => !(source.values && field in source.values));
      const fetcher = createVaultDynamicFetcher(deps.vault, deps.session, {
        path: source.path,
        lease: source.lease,
        required: fetched,
        ...(source.renewIncrement !== undefined ? { renewIncrement: Math.round(source.renewIncrement / 1000) } : {}),
        ...(deps.onLease ? { onLease: (event: DynamicLeaseEvent) => deps.onLease!(connection, event) } : {}),
        ...(deps.log ? { log: deps.log.child(connection) } : {}),
      });
      return withFixedValues(fetcher, source.values);
    }
    case 'vault-kv': {
      const segments = source.path.replace(/^\/+/, '').split('/');
      const mount = source.mount ?? segments.shift()!;
      const fetched = required.filter((field) => !(source.values && field in source.values));
      const fields = Object.fromEntries(fetched.map((f) => [f, f]));
      const fetcher = createVaultKvFetcher(deps.vault, deps.session, {
        mount,
        path: source.mount ? source.path : segments.join('/'),
        version: source.version,
        fields: { ...fields, ...source.fields },
        required: fetched,
        maxAgeMs: source.maxAge,
      });
      return withFixedValues(fetcher, source.values);
    }
    case 'env':
      return withFixedValues(createEnvFetcher(source.fields), source.values);
    case 'file':
      return withFixedValues(createFileFetcher(source.fields, deps.baseDir), source.values);
    case 'literal':
      return createLiteralFetcher(source.values);
  }
}

export function credentialPathOf(source: CredentialsConfig): string | undefined {
  if (source.from === 'vault-kv' || source.from === 'vault-dynamic') return source.path;
  if (source.from === 'vault-ssh-sign') return `${source.mount}/sign/${source.role}`;
  return undefined;
}

/** `host:port` of the real service, for display. */
export function targetOf(config: ConnectionConfig): string {
  return config.protocol === 'ssh-agent' ? 'ssh-agent' : `${config.target.host}:${config.target.port}`;
}

/** The broker's spec for a connection; throws ConnectionUnavailableError or the connector's own validation error. */
export function connectionSpecFor(config: ConnectionConfig, deps: ConnectionDeps): ConnectionSpec {
  const base = {
    name: config.name,
    protocol: config.protocol,
    listen: config.listen,
    target: targetOf(config),
    credentialPath: credentialPathOf(config.credentials),
  };
  switch (config.protocol) {
    case 'postgres':
      return {
        ...base,
        credentials: credentialFetcherFor(config.credentials, REQUIRED_FIELDS.postgres, deps, config.name),
        connector: createPostgresConnector(
          databaseTarget(config.target, deps.baseDir),
          deps.localTls ? { localTls: deps.localTls } : {},
        ),
      };
    case 'mysql':
      return {
        ...base,
        credentials: credentialFetcherFor(config.credentials, REQUIRED_FIELDS.mysql, deps, config.name),
        connector: createMysqlConnector(
          databaseTarget(config.target, deps.baseDir),
          deps.localTls ? { localTls: deps.localTls } : {},
        ),
      };
    case 'ssh':
      if (!deps.sshHostKeys) throw new ConnectionUnavailableError(config.protocol);
      return {
        ...base,
        credentials: credentialFetcherFor(config.credentials, REQUIRED_FIELDS.ssh, deps, config.name),
        connector: sshConnectorFor(config, deps.sshHostKeys, deps.baseDir),
      };
    case 'ssh-agent':
      return {
        ...base,
        ...sshAgentPartsFor(
          config,
          (source) => credentialFetcherFor(source, REQUIRED_FIELDS['ssh-agent'], deps, config.name),
          deps.log?.child(config.name),
          deps.approveKeyUse,
        ),
      };
  }
}

/** A database connection's target as its connector takes it: the CA file resolved beside the config. */
function databaseTarget<S extends string>(
  target: {
    host: string;
    port: number;
    database?: string | undefined;
    sslmode?: S | undefined;
    caCert?: string | undefined;
    insecureAllowPasswordWithoutVerifiedTls?: boolean | undefined;
  },
  baseDir: string,
) {
  return {
    host: target.host,
    port: target.port,
    ...(target.database ? { database: target.database } : {}),
    ...(target.sslmode ? { sslmode: target.sslmode } : {}),
    ...(target.caCert ? { caFile: resolveConfigPath(target.caCert, baseDir) } : {}),
    insecureAllowPasswordWithoutVerifiedTls: target.insecureAllowPasswordWithoutVerifiedTls === true,
  };
}
