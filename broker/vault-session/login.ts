// Performing one login: from a validated request to a Vault token. Secrets read from files are
// read at each login (so a rotated AppRole secret_id or a refreshed JWT is picked up).
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log';
import type { VaultAuth, VaultClient } from '../vault';
import { loginPath, type LoginRequest } from './login-request';
import { loginWithOidc } from './oidc';

export interface LoginOutcome {
  token: string;
  /** The auth block when Vault issued the token in this login (not for a given token). */
  auth?: VaultAuth;
  path: string;
}

export interface LoginContext {
  vault: VaultClient;
  log: Logger;
  openBrowser?: (url: string) => Promise<void>;
  onUrl?: (url: string) => void;
  signal?: AbortSignal;
}

export class LoginFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginFileError';
  }
}

async function readSecretFile(file: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LoginFileError(
      `cannot read the ${what} file ${file}${code === 'ENOENT' ? ': it does not exist' : code ? ` (${code})` : ''}`,
    );
  }
  const value = text.trim();
  if (!value) throw new LoginFileError(`the ${what} file ${file} is empty`);
  return value;
}

export async function performLogin(request: LoginRequest, ctx: LoginContext): Promise<LoginOutcome> {
  const path = loginPath(request);
  const viaAuth = async (body: Record<string, unknown>): Promise<LoginOutcome> => {
    const response = await ctx.vault.request({ method: 'POST', path, body });
    const auth = response?.auth;
    if (!auth?.client_token) throw new Error(`Vault answered ${path} with no token`);
    return { token: auth.client_token, auth, path };
  };
  switch (request.method) {
    case 'token':
      return { token: request.token ?? (await readSecretFile(request.tokenFile!, 'Vault token')), path };
    case 'userpass':
      return viaAuth({ password: request.password });
    case 'approle': {
      const roleId = request.roleId ?? (await readSecretFile(request.roleIdFile!, 'AppRole role_id'));
      const secretId =
        request.secretId ??
        (request.secretIdFile ? await readSecretFile(request.secretIdFile, 'AppRole secret_id') : undefined);
      return viaAuth({ role_id: roleId, ...(secretId !== undefined ? { secret_id: secretId } : {}) });
    }
    case 'jwt':
      return viaAuth({ role: request.role, jwt: request.jwt ?? (await readSecretFile(request.jwtFile!, 'JWT')) });
    case 'oidc': {
      const auth = await loginWithOidc(request, ctx);
      return { token: auth.client_token, auth, path };
    }
  }
}
