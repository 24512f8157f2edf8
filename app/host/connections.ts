// From a connection's config to the broker pieces that serve it: a connector for the protocol
// and a credential fetcher for the source.
import path from 'node:path';
import type { ConnectionSpec } from '../../broker/supervisor';
import type { CredentialFetcher } from '../../broker/connector';
import { createEnvFetcher, createLiteralFetcher, createVaultKvFetcher, type SessionTokenSource } from '../../broker/credentials';
import { createPostgresConnector } from '../../broker/postgres';
import type { VaultClient } from '../../broker/vault';
import type { ConnectionConfig, CredentialsConfig } from '../config';

export interface ConnectionDeps {
  vault: VaultClient;
  session: SessionTokenSource;
  /** Directory relative paths in the config are resolved against (the config file's). */
  baseDir: string;
}

const REQUIRED_FIELDS: Record<ConnectionConfig['protocol'], string[]> = {
  postgres: ['username', 'password'],
};

export function credentialFetcherFor(source: CredentialsConfig, required: string[], deps: ConnectionDeps): CredentialFetcher {
  switch (source.from) {
    case 'vault-kv': {
      const segments = source.path.replace(/^\/+/, '').split('/');
      const mount = source.mount ?? segments.shift()!;
      const fields = Object.fromEntries(required.map((f) => [f, f]));
      return createVaultKvFetcher(deps.vault, deps.session, {
        mount,
        path: source.mount ? source.path : segments.join('/'),
        version: source.version,
        fields: { ...fields, ...source.fields },
        required,
        maxAgeMs: source.maxAge,
      });
    }
    case 'env':
      return createEnvFetcher(source.fields);
    case 'literal':
      return createLiteralFetcher(source.values);
  }
}

export function credentialPathOf(source: CredentialsConfig): string | undefined {
  if (source.from === 'vault-kv') return source.path;
  return undefined;
}

export function connectionSpecFor(config: ConnectionConfig, deps: ConnectionDeps): ConnectionSpec {
  const credentials = credentialFetcherFor(config.credentials, REQUIRED_FIELDS[config.protocol], deps);
  const resolve = (file?: string) => (file ? path.resolve(deps.baseDir, file) : undefined);
  switch (config.protocol) {
    case 'postgres':
      return {
        name: config.name,
        protocol: config.protocol,
        listen: config.listen,
        target: `${config.target.host}:${config.target.port}`,
        credentialPath: credentialPathOf(config.credentials),
        credentials,
        connector: createPostgresConnector({
          host: config.target.host,
          port: config.target.port,
          ...(config.target.database ? { database: config.target.database } : {}),
          sslmode: config.target.sslmode,
          ...(config.target.caCert ? { caFile: resolve(config.target.caCert) } : {}),
        }),
      };
  }
}
