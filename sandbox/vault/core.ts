// One /v1/ request from bytes to answer: namespace, seal check, operation, body, routing,
// token and ACL check, the backend call, then leases, login tokens, response wrapping and
// Vault's envelope. Every failure becomes Vault's `{"errors": [...]}` with Vault's status.
import type { IncomingHttpHeaders } from 'node:http';
import type { BackendRequest, BackendResponse, Operation } from './backend';
import { parseDurationField } from './duration';
import {
  badRequest,
  invalidToken,
  missingToken,
  noRoute,
  permissionDenied,
  sealed,
  unsupportedOperation,
  VaultError,
} from './errors';
import { newUuid, rfc3339 } from './ids';
import type { MountEntry } from './mounts';
import { normalizePolicies } from './auth/token-fields';
import type { NamespaceState, VaultState } from './state';
import type { TokenEntry } from './tokens';

export interface HttpInput {
  method: string;
  /** Path after /v1/, still URL-encoded segments decoded. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  remoteAddress: string;
}

export interface HttpOutput {
  status: number;
  body?: string;
  contentType?: string;
}

/** Paths answered while sealed. */
const SEALED_OK = new Set(['sys/health', 'sys/seal-status', 'sys/unseal', 'sys/init', 'sys/leader']);
const WRAPPING_PATHS = new Set(['sys/wrapping/unwrap', 'sys/wrapping/lookup', 'sys/wrapping/rewrap']);

export const json = (status: number, value: unknown): HttpOutput => ({
  status,
  body: JSON.stringify(value),
  contentType: 'application/json',
});

export function errorOutput(e: unknown, log: (m: string) => void): HttpOutput {
  if (e instanceof VaultError) return json(e.status, { errors: e.errors });
  // Driver errors can quote statements with passwords: only the kind of error is logged.
  log(`internal error: ${e instanceof Error ? e.name : typeof e}`);
  return json(500, { errors: ['internal error'] });
}

export function tokenFromHeaders(headers: IncomingHttpHeaders): string {
  const direct = headers['x-vault-token'];
  if (typeof direct === 'string' && direct !== '') return direct.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return '';
}

function operationFor(method: string, query: URLSearchParams): Operation {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return query.get('list') === 'true' ? 'list' : 'read';
    case 'LIST':
      return 'list';
    case 'POST':
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'PATCH':
      return 'patch';
    default:
      throw unsupportedOperation();
  }
}

/** Go's encoding/json wording for the common ways a body can be wrong. */
function parseBody(raw: Buffer, op: Operation, query: URLSearchParams): Record<string, unknown> {
  const text = raw.toString('utf8').trim();
  let body: Record<string, unknown> = {};
  if (text !== '') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const first = text[0] ?? '';
      throw badRequest(
        /[[{"\d-]|t|f|n/.test(first)
          ? 'failed to parse JSON input: unexpected EOF'
          : `failed to parse JSON input: invalid character '${first}' looking for beginning of value`,
      );
    }
    if (value === null) value = {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      const kind = Array.isArray(value)
        ? 'array'
        : typeof value === 'string'
          ? 'string'
          : typeof value === 'boolean'
            ? 'bool'
            : 'number';
      throw badRequest(
        `failed to parse JSON input: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
      );
    }
    body = value as Record<string, unknown>;
  }
  if (op === 'read' || op === 'list' || op === 'delete') {
    for (const [k, v] of query) if (k !== 'list' && body[k] === undefined) body[k] = v;
  }
  return body;
}

function matchesPattern(patterns: readonly string[] | undefined, path: string): boolean {
  return (patterns ?? []).some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p));
}

function resolveNamespace(
  state: VaultState,
  headers: IncomingHttpHeaders,
  path: string,
): { ns: NamespaceState; path: string } {
  const header = typeof headers['x-vault-namespace'] === 'string' ? headers['x-vault-namespace'] : '';
  let nsPath = header.replace(/^\/+|\/+$/g, '');
  nsPath = nsPath === '' || nsPath === 'root' ? '' : `${nsPath}/`;
  if (!state.namespaces.has(nsPath)) throw noRoute(`${nsPath}${path}`);
  // Longest chain of existing child namespaces at the front of the path.
  let rest = path;
  for (;;) {
    const slash = rest.indexOf('/');
    if (slash <= 0) break;
    const candidate = `${nsPath}${rest.slice(0, slash)}/`;
    if (!state.namespaces.has(candidate)) break;
    nsPath = candidate;
    rest = rest.slice(slash + 1);
  }
  return { ns: state.namespaces.get(nsPath) as NamespaceState, path: rest };
}

export async function handleV1(state: VaultState, input: HttpInput): Promise<HttpOutput> {
  const requestId = newUuid();
  let consumed: TokenEntry | undefined;
  try {
    let path = input.path.replace(/^\/+/, '');
    if (state.sealed && !SEALED_OK.has(path)) throw sealed();
    const resolved = resolveNamespace(state, input.headers, path);
    const ns = resolved.ns;
    path = resolved.path;
    if (state.sealed && !SEALED_OK.has(path)) throw sealed();
    const op = operationFor(input.method, input.query);
    if (op === 'list' && !path.endsWith('/')) path += '/';
    const body = parseBody(input.rawBody, op, input.query);
    const wrapTtl = parseWrapTtl(input.headers);

    const route = ns.mounts.match(path);
    const mount = route?.mount;
    const rest = route?.rest ?? '';
    const clientToken = tokenFromHeaders(input.headers);
    const wrappingPath = WRAPPING_PATHS.has(path);
    const unauthenticated =
      (!!mount && matchesPattern(mount.backend.unauthenticatedPaths, rest)) ||
      // The wrapping token itself in X-Vault-Token authorizes its own unwrap.
      (wrappingPath && typeof body.token !== 'string' && !!state.tokens.lookup(clientToken)?.wrapped);

    const breq: BackendRequest = {
      operation: op,
      path: rest,
      body,
      query: input.query,
      headers: input.headers,
      namespace: ns.path,
      remoteAddress: input.remoteAddress,
    };

    let token: TokenEntry | undefined;
    if (!unauthenticated) {
      if (wrappingPath && typeof body.token !== 'string' && clientToken !== '' && !state.tokens.lookup(clientToken)) {
        throw badRequest('wrapping token is not valid or does not exist');
      }
      if (clientToken === '') throw missingToken();
      token = state.tokens.lookup(clientToken);
      if (!token || !ns.path.startsWith(token.namespace) || token.wrapped) throw invalidToken();
      if (mount && op === 'update' && mount.backend.exists) {
        breq.operation = (await mount.backend.exists(breq)) ? 'update' : 'create';
      }
      const acl = state.aclFor(token);
      const aclPath = `${ns.path.slice(token.namespace.length)}${path}`;
      const needsSudo = !!mount && matchesPattern(mount.backend.sudoPaths, rest);
      if (!acl.allows(aclPath, breq.operation) || (needsSudo && !acl.allows(aclPath, 'sudo'))) throw permissionDenied();
      if (state.tokens.use(token)) consumed = token;
      breq.token = {
        id: token.id,
        accessor: token.accessor,
        policies: token.policies,
        displayName: token.displayName,
        meta: token.meta,
        sudo: acl.allows(aclPath, 'sudo'),
      };
    } else if (clientToken !== '') {
      const t = state.tokens.lookup(clientToken);
      if (t && !t.wrapped) {
        token = t;
        breq.token = {
          id: t.id,
          accessor: t.accessor,
          policies: t.policies,
          displayName: t.displayName,
          meta: t.meta,
          sudo: false,
        };
      }
    }
    if (!mount) throw noRoute(path);

    const resp = await mount.backend.handle(breq);
    const output = await buildOutput(state, ns, mount, breq, token, resp, requestId, wrapTtl);
    return output;
  } catch (e) {
    return errorOutput(e, state.log);
  } finally {
    if (consumed) await state.tokens.revoke(consumed.id).catch(() => undefined);
  }
}

function parseWrapTtl(headers: IncomingHttpHeaders): number {
  const raw = headers['x-vault-wrap-ttl'];
  if (typeof raw !== 'string' || raw.trim() === '') return 0;
  try {
    return parseDurationField(raw.trim(), 'X-Vault-Wrap-TTL');
  } catch {
    throw badRequest('error parsing wrap TTL: invalid duration');
  }
}

function isEmpty(resp: BackendResponse | undefined): boolean {
  return (
    !resp ||
    (resp.data == null &&
      !resp.login &&
      !resp.secret &&
      !resp.raw &&
      !resp.topLevel &&
      !resp.warnings?.length &&
      resp.status === undefined)
  );
}

async function buildOutput(
  state: VaultState,
  ns: NamespaceState,
  mount: MountEntry,
  req: BackendRequest,
  token: TokenEntry | undefined,
  resp: BackendResponse | undefined,
  requestId: string,
  wrapTtl: number,
): Promise<HttpOutput> {
  if (resp?.raw) return { status: resp.raw.status, body: resp.raw.body, contentType: resp.raw.contentType };
  if (isEmpty(resp) || !resp) return { status: 204 };
  const warnings = [...(resp.warnings ?? [])];
  const envelope: Record<string, unknown> = {
    request_id: requestId,
    lease_id: '',
    renewable: false,
    lease_duration: resp.leaseDuration ?? 0,
    data: resp.data ?? null,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: mount.type,
    ...resp.topLevel,
  };
  if (resp.secret) {
    if (!token) throw new VaultError(500, ['internal error']);
    const created = state.leases.create({
      namespace: ns.path,
      mountPath: mount.path,
      path: req.path,
      tokenId: token.id,
      secret: resp.secret,
      mountDefaultTtl: mount.defaultLeaseTtl,
      mountMaxTtl: mount.maxLeaseTtl,
    });
    envelope.lease_id = created.lease.id;
    envelope.renewable = created.lease.renewable;
    envelope.lease_duration = created.ttl;
    warnings.push(...created.warnings);
  }
  if (resp.login) {
    const login = resp.login;
    const root = login.policies.includes('root');
    const policies = normalizePolicies([...login.policies, ...(login.noDefaultPolicy || root ? [] : ['default'])]);
    const prefix = mount.path
      .replace(/^auth\//, '')
      .replace(/\/$/, '')
      .replace(/\//g, '-');
    const { entry, warnings: w } = state.tokens.create({
      policies,
      meta: login.metadata ?? null,
      displayName: login.displayName ? `${prefix}-${login.displayName}` : prefix,
      path: `${mount.path}${req.path}`,
      namespace: ns.path,
      ttl: login.ttl ?? 0,
      explicitMaxTtl: login.explicitMaxTtl ?? 0,
      backendMaxTtl: login.maxTtl ?? 0,
      mountDefaultTtl: mount.defaultLeaseTtl,
      mountMaxTtl: mount.maxLeaseTtl,
      period: login.period ?? 0,
      numUses: login.numUses ?? 0,
      renewable: login.renewable ?? true,
      authMount: mount.path,
      internal: login.internal ?? {},
    });
    warnings.push(...w);
    envelope.auth = authBlock(state, entry);
  }
  envelope.warnings = warnings.length > 0 ? warnings : null;
  if (wrapTtl > 0)
    return json(200, wrapResponse(state, ns, envelope, `${ns.path}${mount.path}${req.path}`, wrapTtl, requestId));
  return json(resp.status ?? 200, envelope);
}

/** Vault's `auth` block for a token. */
export function authBlock(state: VaultState, entry: TokenEntry): Record<string, unknown> {
  return {
    client_token: entry.id,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.meta,
    lease_duration: state.tokens.ttlLeft(entry),
    renewable: entry.renewable,
    entity_id: '',
    token_type: entry.type,
    orphan: entry.orphan,
    mfa_requirement: null,
    num_uses: Math.max(0, entry.numUses),
  };
}

/** Stores a response in a single-use wrapping token and answers only its wrap_info. */
export function wrapResponse(
  state: VaultState,
  ns: NamespaceState,
  envelope: Record<string, unknown>,
  creationPath: string,
  ttl: number,
  requestId: string,
): Record<string, unknown> {
  const { entry } = state.tokens.create({
    policies: ['response-wrapping'],
    displayName: '',
    path: creationPath,
    namespace: ns.path,
    ttl,
    renewable: false,
    wrapped: { body: envelope, creationPath, ttl },
  });
  const auth = envelope.auth as { accessor?: string } | null;
  return {
    request_id: requestId,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: {
      token: entry.id,
      accessor: entry.accessor,
      ttl,
      creation_time: rfc3339(entry.creationTime),
      creation_path: creationPath,
      ...(auth?.accessor ? { wrapped_accessor: auth.accessor } : {}),
    },
    warnings: null,
    auth: null,
    mount_type: '',
  };
}
