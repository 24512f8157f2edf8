// What a login asks for, validated at the edge. A request names its method and either the
// secret itself (interactive use) or a file to read it from (non-interactive: the session can
// read it again to re-authenticate by itself, as Vault Agent's auto-auth does).
import { z } from 'zod';

export type LoginMethod = 'token' | 'userpass' | 'approle' | 'jwt' | 'oidc';

const mount = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    'a mount path is letters, digits, "_", "-", "." and "/" (e.g. "userpass" or "team/oidc")',
  )
  .refine(
    (m) => !m.split('/').some((segment) => segment === '.' || segment === '..'),
    'a mount path may not contain "." or ".." segments',
  );
const secret = z.string().min(1, 'must not be empty').max(16_384);
const file = z.string().min(1).max(4096);
const port = z.number().int().min(0).max(65_535);

export const LoginRequestSchema = z.discriminatedUnion('method', [
  z
    .object({ method: z.literal('token'), token: secret.optional(), tokenFile: file.optional() })
    .strict()
    .refine((r) => (r.token === undefined) !== (r.tokenFile === undefined), 'give exactly one of token or tokenFile'),
  z
    .object({
      method: z.literal('userpass'),
      mount: mount.optional(),
      username: z.string().min(1).max(256),
      password: secret,
    })
    .strict(),
  z
    .object({
      method: z.literal('approle'),
      mount: mount.optional(),
      roleId: secret.optional(),
      roleIdFile: file.optional(),
      secretId: secret.optional(),
      secretIdFile: file.optional(),
    })
    .strict()
    .refine(
      (r) => (r.roleId === undefined) !== (r.roleIdFile === undefined),
      'give exactly one of roleId or roleIdFile',
    )
    .refine(
      (r) => !(r.secretId !== undefined && r.secretIdFile !== undefined),
      'give at most one of secretId or secretIdFile',
    ),
  z
    .object({
      method: z.literal('jwt'),
      mount: mount.optional(),
      role: z.string().min(1).max(256),
      jwt: secret.optional(),
      jwtFile: file.optional(),
    })
    .strict()
    .refine((r) => (r.jwt === undefined) !== (r.jwtFile === undefined), 'give exactly one of jwt or jwtFile'),
  z
    .object({
      method: z.literal('oidc'),
      mount: mount.optional(),
      role: z.string().min(1).max(256).optional(),
      /** Address the loopback callback listener binds (default 127.0.0.1). */
      listenAddress: z.string().min(1).max(255).optional(),
      /** Port of the callback listener (default 8250). */
      port: port.optional(),
      /** Host name in the redirect URI (default localhost, as the Vault CLI uses). */
      callbackHost: z.string().min(1).max(255).optional(),
      /** The whole redirect URI, when the role allows only a specific one. */
      redirectUri: z.string().url().optional(),
      timeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
    })
    .strict(),
]);

export type LoginRequest =
  | { method: 'token'; token: string; tokenFile?: undefined }
  | { method: 'token'; tokenFile: string; token?: undefined }
  | { method: 'userpass'; mount?: string; username: string; password: string }
  | {
      method: 'approle';
      mount?: string;
      roleId?: string;
      roleIdFile?: string;
      secretId?: string;
      secretIdFile?: string;
    }
  | { method: 'jwt'; mount?: string; role: string; jwt?: string; jwtFile?: string }
  | OidcLoginRequest;

export interface OidcLoginRequest {
  method: 'oidc';
  mount?: string;
  role?: string;
  listenAddress?: string;
  port?: number;
  callbackHost?: string;
  redirectUri?: string;
  timeoutMs?: number;
}

export class InvalidLoginError extends Error {
  constructor(
    message: string,
    /** The request field at fault, e.g. `password`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InvalidLoginError';
  }
}

/** Check a login request from outside; the message names the field, never its value. */
export function parseLoginRequest(input: unknown): LoginRequest {
  const result = LoginRequestSchema.safeParse(input);
  if (result.success) return result.data as LoginRequest;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || undefined;
  if (issue.code === 'invalid_union' || field === 'method') {
    const method = (input as { method?: unknown } | null)?.method;
    throw new InvalidLoginError(
      `invalid login request: unknown login method ${JSON.stringify(method ?? null)} (expected token, userpass, approle, jwt or oidc)`,
      'method',
    );
  }
  throw new InvalidLoginError(`invalid login request${field ? ` (${field})` : ''}: ${issue.message}`, field);
}

/**
 * Whether the session can log in again with this request without a person: the secret comes
 * from a file it can read again, or (AppRole) from the configuration.
 */
export function canReauthenticate(request: LoginRequest): boolean {
  switch (request.method) {
    case 'approle':
      return true;
    case 'jwt':
      return request.jwtFile !== undefined;
    case 'token':
      return request.tokenFile !== undefined;
    default:
      return false;
  }
}

/** Vault path of the login, for display and the lease registry. */
export function loginPath(request: LoginRequest): string {
  switch (request.method) {
    case 'token':
      return 'auth/token/lookup-self';
    case 'userpass':
      return `auth/${request.mount ?? 'userpass'}/login/${request.username}`;
    case 'approle':
      return `auth/${request.mount ?? 'approle'}/login`;
    case 'jwt':
      return `auth/${request.mount ?? 'jwt'}/login`;
    case 'oidc':
      return `auth/${request.mount ?? 'oidc'}/oidc/callback`;
  }
}
