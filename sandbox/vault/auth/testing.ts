// Shared by the OIDC auth method's tests: requests as the core hands them to a backend, and the
// mount context a factory receives.
import type { Backend, BackendRequest, BackendResponse, MountContext, Operation } from '../backend';
import { VaultError } from '../errors';

export const TEST_CLIENT = {
  clientId: 'vault-oidc',
  clientSecret: 'vault-oidc-client-secret',
  redirectUris: ['http://localhost:8250/oidc/callback'],
};

export const TEST_USER = {
  username: 'alice@example.com',
  password: 'alice-password-123',
  claims: { email: 'alice@example.com', name: 'Alice Example', groups: ['developers', 'dba'] },
};

export const mountContext = (): MountContext => ({
  path: 'auth/oidc/',
  type: 'oidc',
  accessor: 'auth_oidc_test',
  options: {},
  namespace: '',
  config: () => ({ defaultLeaseTtl: 0, maxLeaseTtl: 0 }),
  revokeLeasesWithPrefix: async () => {},
});

export function backendRequest(
  operation: Operation,
  path: string,
  body: Record<string, unknown> = {},
  query: Record<string, string> = {},
  remoteAddress = '127.0.0.1',
): BackendRequest {
  return { operation, path, body, query: new URLSearchParams(query), headers: {}, namespace: '', remoteAddress };
}

/** The backend's answer, or its Vault error as { status, errors } (what a client would see). */
export async function call(
  backend: Backend,
  request: BackendRequest,
): Promise<BackendResponse | undefined | { status: number; errors: string[] }> {
  try {
    return await backend.handle(request);
  } catch (err) {
    if (err instanceof VaultError) return { status: err.status, errors: err.errors };
    throw err;
  }
}
