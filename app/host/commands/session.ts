// app.info and the Vault session: log in, log out, look.
import type { LoginRequest } from '../../../broker/vault-session';
import { ApiError } from '../../api';
import type { Handlers, HostContext } from '../context';
import { toApiError } from '../errors';

export async function login(ctx: HostContext, request: LoginRequest) {
  try {
    const snapshot = await ctx.session.login(request);
    ctx.activity.add({
      level: 'info',
      kind: 'login',
      message: `logged in to ${ctx.vault.address} with ${request.method} (policies: ${snapshot.policies.join(', ')})`,
    });
  } catch (error) {
    ctx.activity.add({
      level: 'error',
      kind: 'login-failed',
      message: `login with ${request.method} failed: ${(error as Error).message}`,
    });
    throw toApiError(error);
  }
  return ctx.currentSession();
}

export function sessionHandlers(
  ctx: HostContext,
): Pick<Handlers, 'app.info' | 'session.get' | 'session.login' | 'session.logout' | 'session.renew'> {
  return {
    'app.info': async () => ({
      version: ctx.version,
      mode: ctx.mode,
      configPath: ctx.configPath,
      sandbox: ctx.sandbox,
      setup: false,
      ...(ctx.sandboxLogins ? { sandboxLogins: ctx.sandboxLogins } : {}),
    }),
    'session.get': async () => ctx.currentSession(),
    'session.login': async (input) => {
      if (input.method !== 'oidc') return login(ctx, input);
      // The config's OIDC settings (mount, role, callback port) unless the form names others.
      const auth = ctx.config().vault.auth;
      const configured =
        auth.method === 'oidc'
          ? { mount: auth.mount, port: auth.callbackPort, ...(auth.role ? { role: auth.role } : {}) }
          : {};
      return login(ctx, {
        ...configured,
        ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
        method: 'oidc',
      });
    },
    'session.logout': async () => {
      // Logging out also abandons a login still waiting on the browser (the UI's Cancel).
      ctx.session.cancelLogin();
      // Only a token Sesame created is revoked; one it was handed (typed, a token file — the vault
      // CLI's own login) is forgotten and stays valid for the tools that share it.
      const minted = ctx.session.snapshot().minted === true;
      await ctx.session.logout();
      ctx.activity.add({
        level: 'info',
        kind: 'logout',
        message: minted
          ? 'logged out; the token Sesame created was revoked'
          : 'logged out; the token Sesame was given is forgotten, not revoked (it stays valid for other tools)',
      });
      return ctx.currentSession();
    },
    'session.renew': async () => {
      if (!ctx.session.snapshot().accessor) throw new ApiError('unauthenticated', 'Sesame is not logged in to Vault.');
      await ctx.session.renewNow();
      return ctx.currentSession();
    },
  };
}
