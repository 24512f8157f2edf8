// Fixed credentials and credentials from environment variables: for tests and simple setups.
import type { CredentialFetcher } from '../connector';
import { CredentialError } from './errors';

export function createLiteralFetcher(values: Record<string, string>): CredentialFetcher {
  const credential = { values: { ...values }, path: 'literal' };
  return { description: 'literal values from the config', get: async () => credential };
}

/** `fields` maps credential field → environment variable name. */
export function createEnvFetcher(
  fields: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): CredentialFetcher {
  return {
    description: `environment variables ${Object.values(fields).join(', ')}`,
    async get() {
      const values: Record<string, string> = {};
      for (const [field, variable] of Object.entries(fields)) {
        const value = env[variable];
        if (!value) throw new CredentialError('missing-field', `environment variable ${variable} is not set`);
        values[field] = value;
      }
      return { values, path: `env:${Object.values(fields).join(',')}` };
    },
  };
}
