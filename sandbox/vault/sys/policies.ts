// sys/policies/acl (and the older sys/policy), sys/capabilities-self, sys/capabilities,
// sys/capabilities-accessor.
import type { BackendRequest, BackendResponse } from '../backend';
import { badRequest, notFound, unsupportedOperation } from '../errors';
import { str, strList } from '../fields';
import { parsePolicy } from '../policy';
import type { NamespaceState, VaultState } from '../state';
import type { TokenEntry } from '../tokens';

const HIDDEN = new Set(['response-wrapping', 'control-group']);

function policyNames(ns: NamespaceState): string[] {
  const names = [...ns.policies.keys()].filter((n) => !HIDDEN.has(n));
  if (ns.path === '') names.push('root');
  return names.sort();
}

/** sys/policies/acl[/name] and, with `legacy`, sys/policy[/name]. */
export function policies(
  ns: NamespaceState,
  req: BackendRequest,
  name: string,
  legacy: boolean,
): BackendResponse | undefined {
  const lower = name.toLowerCase();
  if (name === '') {
    if (req.operation !== 'list' && !(req.operation === 'read')) throw unsupportedOperation();
    const keys = policyNames(ns);
    if (legacy) return { data: { keys, policies: keys }, topLevel: { keys, policies: keys } };
    if (req.operation !== 'list') throw unsupportedOperation();
    return { data: { keys, policies: keys } };
  }
  switch (req.operation) {
    case 'read': {
      if (lower === 'root' && ns.path === '') {
        const data = legacy ? { name: 'root', rules: '' } : { name: 'root', policy: '' };
        return { data, ...(legacy ? { topLevel: data } : {}) };
      }
      const p = ns.policies.get(lower);
      if (!p || HIDDEN.has(lower)) throw notFound();
      const data = legacy ? { name: p.name, rules: p.text } : { name: p.name, policy: p.text };
      return { data, ...(legacy ? { topLevel: data } : {}) };
    }
    case 'create':
    case 'update': {
      if (lower === 'root') throw badRequest('cannot update "root" policy');
      if (HIDDEN.has(lower)) throw badRequest(`cannot update "${lower}" policy`);
      const text = str(req.body, 'policy') || (legacy ? str(req.body, 'rules') : '');
      if (text.trim() === '') throw badRequest("'policy' parameter not supplied or empty");
      ns.policies.set(lower, parsePolicy(lower, text));
      return undefined;
    }
    case 'delete': {
      if (lower === 'root') throw badRequest('cannot delete "root" policy');
      if (lower === 'default') throw badRequest('cannot delete "default" policy');
      if (HIDDEN.has(lower)) throw badRequest(`cannot delete "${lower}" policy`);
      ns.policies.delete(lower);
      return undefined;
    }
    default:
      throw unsupportedOperation();
  }
}

function capabilitiesOf(
  state: VaultState,
  ns: NamespaceState,
  token: TokenEntry,
  req: BackendRequest,
): BackendResponse {
  let paths = strList(req.body, 'paths');
  if (paths.length === 0 && str(req.body, 'path') !== '') paths = [str(req.body, 'path')];
  if (paths.length === 0) throw badRequest('missing paths');
  const acl = state.aclFor(token);
  const prefix = ns.path.slice(token.namespace.length);
  const data: Record<string, unknown> = {};
  for (const p of paths) data[p] = acl.capabilities(`${prefix}${p.replace(/^\/+/, '')}`);
  if (paths.length === 1) data.capabilities = data[paths[0] as string];
  return { data, topLevel: { ...data } };
}

/** sys/capabilities-self, sys/capabilities, sys/capabilities-accessor */
export function capabilities(
  state: VaultState,
  ns: NamespaceState,
  req: BackendRequest,
  which: 'self' | 'token' | 'accessor',
): BackendResponse {
  if (req.operation !== 'update' && req.operation !== 'create') throw unsupportedOperation();
  let token: TokenEntry | undefined;
  if (which === 'self') token = req.token ? state.tokens.lookup(req.token.id, true) : undefined;
  else if (which === 'token') {
    const id = str(req.body, 'token');
    if (id === '') throw badRequest('missing token');
    token = state.tokens.lookup(id);
  } else {
    const accessor = str(req.body, 'accessor');
    if (accessor === '') throw badRequest('missing accessor');
    token = state.tokens.byAccessor(accessor);
  }
  if (!token) throw badRequest(which === 'accessor' ? 'invalid accessor' : 'invalid token');
  return capabilitiesOf(state, ns, token, req);
}
