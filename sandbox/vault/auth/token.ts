// The token auth method at auth/token/: create (child or orphan), lookup, renew and revoke,
// by token, by accessor or self.
import type { Backend, BackendRequest, BackendResponse, MountContext } from '../backend';
import { authBlock } from '../core';
import { badRequest, unsupportedOperation, unsupportedPath, VaultError } from '../errors';
import { bool, duration, has, int, str, strList, strMap } from '../fields';
import { rfc3339 } from '../ids';
import type { NamespaceState, VaultState } from '../state';
import type { TokenEntry } from '../tokens';
import { normalizePolicies } from './token-fields';

const isWrite = (req: BackendRequest): boolean => req.operation === 'update' || req.operation === 'create';

function caller(state: VaultState, req: BackendRequest): TokenEntry {
  const t = req.token ? state.tokens.lookup(req.token.id, true) : undefined;
  // The core has already checked the token; it can only vanish in between by expiring.
  if (!t) throw new VaultError(403, ['permission denied']);
  return t;
}

export function lookupData(state: VaultState, t: TokenEntry, withId: boolean): Record<string, unknown> {
  const data: Record<string, unknown> = {
    accessor: t.accessor,
    creation_time: Math.floor(t.creationTime / 1000),
    creation_ttl: t.creationTtl,
    display_name: t.displayName,
    entity_id: '',
    expire_time: t.expireAt > 0 ? rfc3339(t.expireAt) : null,
    explicit_max_ttl: t.explicitMaxTtl,
    id: withId ? t.id : '',
    issue_time: rfc3339(t.creationTime),
    meta: t.meta,
    num_uses: Math.max(0, t.numUses),
    orphan: t.orphan,
    path: t.path,
    policies: t.policies,
    renewable: t.renewable,
    ttl: state.tokens.ttlLeft(t),
    type: t.type,
  };
  if (t.period > 0) data.period = t.period;
  if (t.lastRenewal !== undefined) {
    data.last_renewal = rfc3339(t.lastRenewal);
    data.last_renewal_time = Math.floor(t.lastRenewal / 1000);
  }
  return data;
}

function sanitizeDisplayName(name: string): string {
  return `token-${name}`.replace(/[^a-zA-Z0-9-]/g, '-').replace(/-+$/, '');
}

function create(state: VaultState, ns: NamespaceState, req: BackendRequest, orphanPath: boolean): BackendResponse {
  if (!isWrite(req)) throw unsupportedOperation();
  const parent = caller(state, req);
  const b = req.body;
  const isRoot = parent.policies.includes('root');
  const sudo = req.token?.sudo ?? false;
  if (parent.type === 'batch') throw badRequest('batch tokens cannot create more tokens');
  const noParent = bool(b, 'no_parent');
  if (noParent && !orphanPath && !isRoot && !sudo)
    throw badRequest('root or sudo privileges required to create orphan token');
  if (has(b, 'id') && !isRoot && !sudo) throw badRequest('root or sudo privileges required to specify token id');
  const numUses = int(b, 'num_uses');
  if (numUses < 0) throw badRequest('number of uses cannot be negative');
  const ttl = duration(b, 'ttl');
  const explicitMaxTtl = duration(b, 'explicit_max_ttl');
  const period = duration(b, 'period');
  const type = str(b, 'type', 'service');
  if (type !== 'service' && type !== 'batch') throw badRequest(`invalid 'token_type' value "${type}"`);
  if (type === 'batch' && period > 0) throw badRequest('batch tokens cannot be periodic');
  if (period > 0 && !isRoot && !sudo) throw badRequest('root or sudo privileges required to create periodic token');
  const noDefault = bool(b, 'no_default_policy');
  let policies = has(b, 'policies') ? normalizePolicies(strList(b, 'policies')) : [...parent.policies];
  if (!isRoot && !sudo) {
    const allowed = new Set([...parent.policies, 'default']);
    if (policies.includes('root')) throw badRequest('root tokens may not be created without parent token being root');
    if (!policies.every((p) => allowed.has(p))) throw badRequest('child policies must be subset of parent');
  }
  if (noDefault) policies = policies.filter((p) => p !== 'default');
  else if (!policies.includes('root') && !policies.includes('default'))
    policies = normalizePolicies([...policies, 'default']);
  if (policies.length === 0) throw badRequest('token must have at least one policy');
  const displayName = str(b, 'display_name');
  const id = has(b, 'id') ? str(b, 'id') : undefined;
  if (id !== undefined && (id === '' || id.includes('.'))) throw badRequest('custom token ID cannot contain a period');
  const { entry, warnings } = state.tokens.create({
    ...(orphanPath || noParent || type === 'batch' ? {} : { parent }),
    policies,
    meta: strMap(b, 'meta') ?? null,
    displayName: displayName === '' ? 'token' : sanitizeDisplayName(displayName),
    path: orphanPath ? 'auth/token/create-orphan' : 'auth/token/create',
    namespace: ns.path,
    ttl,
    explicitMaxTtl,
    period,
    numUses,
    renewable: bool(b, 'renewable', true),
    type,
    ...(id !== undefined ? { id } : {}),
  });
  return { data: null, topLevel: { auth: authBlock(state, entry) }, warnings };
}

async function renew(
  state: VaultState,
  ns: NamespaceState,
  req: BackendRequest,
  target: TokenEntry | undefined,
  notFoundMessage: string,
): Promise<BackendResponse> {
  if (!target) throw badRequest(notFoundMessage);
  const increment = duration(req.body, 'increment');
  if (!target.renewable || target.expireAt === 0) throw badRequest('lease is not renewable');
  // Tokens from an auth method ask it first (a deleted user cannot renew).
  await ns.mounts.get(target.authMount)?.backend.renewLogin?.({ increment, internal: target.internal });
  const { warnings } = state.tokens.renew(target, increment);
  return { data: null, topLevel: { auth: authBlock(state, target) }, warnings };
}

export function createTokenBackend(state: VaultState, ns: NamespaceState, _ctx: MountContext): Backend {
  const byTokenField = (req: BackendRequest, fromPath: string): TokenEntry | undefined => {
    const id = fromPath !== '' ? fromPath : str(req.body, 'token');
    if (id === '') throw badRequest('missing token');
    return state.tokens.lookup(id);
  };
  const byAccessorField = (req: BackendRequest): TokenEntry | undefined => {
    const accessor = str(req.body, 'accessor');
    if (accessor === '') throw badRequest('missing accessor');
    return state.tokens.byAccessor(accessor);
  };

  async function handle(req: BackendRequest): Promise<BackendResponse | undefined> {
    const [action = '', ...restParts] = req.path.split('/');
    const rest = restParts.join('/');
    switch (action) {
      case 'create':
        if (rest !== '') throw badRequest(`unknown role: ${rest}`);
        return create(state, ns, req, false);
      case 'create-orphan':
        return create(state, ns, req, true);
      case 'lookup-self':
        if (req.operation !== 'read' && !isWrite(req)) throw unsupportedOperation();
        return { data: lookupData(state, caller(state, req), true) };
      case 'lookup': {
        if (req.operation !== 'read' && !isWrite(req)) throw unsupportedOperation();
        const t = byTokenField(req, rest);
        if (!t || t.namespace !== ns.path) throw new VaultError(403, ['bad token']);
        return { data: lookupData(state, t, true) };
      }
      case 'lookup-accessor': {
        if (!isWrite(req)) throw unsupportedOperation();
        const t = byAccessorField(req);
        if (!t || t.namespace !== ns.path) throw badRequest('invalid accessor');
        return { data: lookupData(state, t, false) };
      }
      case 'renew-self':
        if (!isWrite(req)) throw unsupportedOperation();
        return renew(state, ns, req, caller(state, req), 'invalid token');
      case 'renew':
        if (!isWrite(req)) throw unsupportedOperation();
        return renew(state, ns, req, byTokenField(req, rest), 'invalid token');
      case 'renew-accessor':
        if (!isWrite(req)) throw unsupportedOperation();
        return renew(state, ns, req, byAccessorField(req), 'invalid accessor');
      case 'revoke-self':
        if (!isWrite(req)) throw unsupportedOperation();
        await state.tokens.revoke(caller(state, req).id);
        return undefined;
      case 'revoke': {
        if (!isWrite(req)) throw unsupportedOperation();
        const t = byTokenField(req, rest);
        if (t?.type === 'batch') throw badRequest('batch tokens cannot be revoked');
        if (t) await state.tokens.revoke(t.id);
        return undefined;
      }
      case 'revoke-orphan': {
        if (!isWrite(req)) throw unsupportedOperation();
        const t = byTokenField(req, rest);
        if (t) await state.tokens.revokeOrphan(t.id);
        return undefined;
      }
      case 'revoke-accessor': {
        if (!isWrite(req)) throw unsupportedOperation();
        const t = byAccessorField(req);
        if (!t) throw badRequest('invalid accessor');
        await state.tokens.revoke(t.id);
        return undefined;
      }
      case 'accessors': {
        if (req.operation !== 'list') throw unsupportedOperation();
        const keys = state.tokens
          .all()
          .filter((t) => t.namespace === ns.path && t.accessor !== '' && !t.wrapped)
          .map((t) => t.accessor);
        return { data: { keys } };
      }
      default:
        throw unsupportedPath();
    }
  }

  return { sudoPaths: ['revoke-orphan', 'revoke-orphan/*', 'accessors/*'], handle };
}
