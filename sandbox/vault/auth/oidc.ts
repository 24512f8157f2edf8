// The OIDC auth method (Vault's jwt plugin mounted as type "oidc", browser flow):
//   config                 read, write (whole config replaced)
//   role, role/            list
//   role/:name             read, write, delete
//   oidc/auth_url          write {role, redirect_uri, client_nonce?} → {auth_url}   (no token)
//   oidc/callback          read ?state&code&client_nonce → auth block              (no token)
import type { Backend, BackendFactory, BackendRequest, BackendResponse, RenewRequest } from '../backend';
import { VaultError, badRequest, multiError, notFound, unsupportedOperation, unsupportedPath } from '../errors';
import { str } from '../fields';
import { configResponse, isOidcFlow, parseConfig, type OidcConfig } from './oidc-config';
import { ROLE_NAME } from './oidc-fields';
import {
  LOGIN_FAILED,
  STATE_TTL_SECONDS,
  checkBoundCidrs,
  createStateStore,
  finishLogin,
  startLogin,
  validRedirect,
} from './oidc-flow';
import { discoverIdp, type IdpConnection } from './oidc-idp';
import { parseRole, roleResponse, type OidcRole } from './oidc-role';

export interface OidcAuthMethodOptions {
  /** Clock in epoch milliseconds (tests move it to expire states and ID tokens). */
  now?: () => number;
  /** How long an auth_url state waits for its callback; Vault: 10 minutes. */
  stateTtlSeconds?: number;
}

const isWrite = (op: BackendRequest['operation']) => op === 'create' || op === 'update';

/** A field of the callback: query string first (GET), then body. */
const callbackField = (req: BackendRequest, field: string) => req.query.get(field) ?? str(req.body, field);

export function oidcAuthMethodFactory(options: OidcAuthMethodOptions = {}): BackendFactory {
  const now = options.now ?? Date.now;
  const stateTtl = options.stateTtlSeconds ?? STATE_TTL_SECONDS;

  return () => {
    let config: OidcConfig | undefined;
    let idp: IdpConnection | undefined;
    const roles = new Map<string, OidcRole>();
    const states = createStateStore(now, stateTtl);

    /** The discovered IdP, rediscovered if a previous attempt failed. */
    async function provider(current: OidcConfig): Promise<IdpConnection> {
      idp ??= await discoverIdp(current.discoveryUrl, current.discoveryCaPem || undefined);
      return idp;
    }

    async function writeConfig(req: BackendRequest): Promise<BackendResponse | undefined> {
      const parsed = await parseConfig(req.body);
      config = parsed.config;
      idp = parsed.idp;
      return parsed.warnings.length > 0 ? { warnings: parsed.warnings } : undefined;
    }

    async function authUrl(req: BackendRequest): Promise<BackendResponse> {
      if (!config) throw badRequest('could not load configuration');
      if (!isOidcFlow(config)) throw badRequest('OIDC login is not configured for this mount');
      const roleName = str(req.body, 'role').toLowerCase() || config.defaultRole;
      if (roleName === '') throw badRequest('missing role');
      const role = roles.get(roleName);
      if (!role) throw badRequest(`role ${JSON.stringify(roleName)} could not be found`);
      const redirectUri = str(req.body, 'redirect_uri');
      if (redirectUri === '') throw badRequest('missing redirect_uri');
      // Unauthenticated endpoint: a disallowed redirect or an unreachable IdP answer only "".
      const empty = { data: { auth_url: '' } };
      if (!validRedirect(redirectUri, role.allowedRedirectUris)) return empty;
      let connection: IdpConnection;
      try {
        connection = await provider(config);
      } catch {
        return empty;
      }
      const clientNonce = str(req.body, 'client_nonce');
      return {
        data: { auth_url: startLogin(states, connection, config, role, { roleName, redirectUri, clientNonce }) },
      };
    }

    async function callback(req: BackendRequest): Promise<BackendResponse> {
      if (!config) throw badRequest(`${LOGIN_FAILED} Could not load configuration`);
      const pending = states.take(callbackField(req, 'state'));
      if (!pending) throw badRequest(`${LOGIN_FAILED} Expired or missing OAuth state.`);
      const role = roles.get(pending.roleName);
      if (!role) throw badRequest(`${LOGIN_FAILED} Role could not be found`);
      const errorDescription = callbackField(req, 'error_description');
      if (errorDescription !== '') throw badRequest(`${LOGIN_FAILED} ${errorDescription}`);
      if (pending.clientNonce !== '' && callbackField(req, 'client_nonce') !== pending.clientNonce) {
        throw badRequest('invalid client_nonce');
      }
      checkBoundCidrs(role.token.boundCidrs, req.remoteAddress);
      let connection: IdpConnection;
      try {
        connection = await provider(config);
      } catch (err) {
        throw new VaultError(500, [
          multiError([`error getting provider for login operation: ${(err as Error).message}`]),
        ]);
      }
      const code = callbackField(req, 'code');
      if (code === '') throw badRequest(`${LOGIN_FAILED} No code or id_token received.`);
      return { login: await finishLogin(connection, config, role, pending, { code, now: new Date(now()) }) };
    }

    function roleName(path: string): string {
      const name = path.slice('role/'.length).toLowerCase();
      if (!ROLE_NAME.test(name)) throw unsupportedPath();
      return name;
    }

    async function handle(req: BackendRequest): Promise<BackendResponse | undefined> {
      const { path, operation } = req;
      if (path === 'config') {
        if (operation === 'read') {
          if (!config) throw notFound();
          return { data: configResponse(config) };
        }
        if (isWrite(operation)) return writeConfig(req);
        throw unsupportedOperation();
      }
      if (path === 'role' || path === 'role/') {
        if (operation !== 'list') throw unsupportedOperation();
        if (roles.size === 0) throw notFound();
        return { data: { keys: [...roles.keys()].sort() } };
      }
      if (path.startsWith('role/')) {
        const name = roleName(path);
        if (operation === 'read') {
          const role = roles.get(name);
          if (!role) throw notFound();
          return { data: roleResponse(role) };
        }
        if (operation === 'delete') {
          roles.delete(name);
          return undefined;
        }
        if (!isWrite(operation)) throw unsupportedOperation();
        const { role, warnings } = parseRole(req.body, roles.get(name));
        roles.set(name, role);
        return warnings.length > 0 ? { warnings } : undefined;
      }
      if (path === 'oidc/auth_url') {
        if (!isWrite(operation)) throw unsupportedOperation();
        return authUrl(req);
      }
      if (path === 'oidc/callback') {
        // POST here is Vault's form_post mode, which this server does not configure: 405 as in Vault.
        if (operation !== 'read') throw unsupportedOperation();
        return callback(req);
      }
      throw unsupportedPath();
    }

    const backend: Backend = {
      unauthenticatedPaths: ['oidc/auth_url', 'oidc/callback'],
      handle,
      async exists(req) {
        // Only roles have an existence check in Vault; every other write is an update.
        return req.path.startsWith('role/') ? roles.has(req.path.slice('role/'.length).toLowerCase()) : true;
      },
      async renewLogin(req: RenewRequest) {
        const name = typeof req.internal.role === 'string' ? req.internal.role : '';
        if (!roles.has(name)) {
          throw new VaultError(500, [multiError([`role ${name} does not exist during renewal`])]);
        }
      },
    };
    return backend;
  };
}

/** The factory the Vault dev server registers for auth type "oidc". */
export const createOidcAuthMethod: BackendFactory = oidcAuthMethodFactory();
