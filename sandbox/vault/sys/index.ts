// The sys/ backend of one namespace: dispatches sys/* paths to their handlers.
import type { Backend, BackendRequest, BackendResponse, MountContext } from '../backend';
import { unsupportedPath } from '../errors';
import type { NamespaceState, VaultState } from '../state';
import { leases } from './leases';
import { authMounts, mounts } from './mounts';
import { namespaces } from './namespaces';
import { capabilities, policies } from './policies';
import { health, init, leader, seal, sealStatus, unseal } from './status';
import { wrapping } from './wrapping';

/** After `prefix`, the rest of the path ("" when equal, undefined when not under it). */
function under(path: string, prefix: string): string | undefined {
  if (path === prefix) return '';
  if (path.startsWith(`${prefix}/`)) return path.slice(prefix.length + 1);
  return undefined;
}

export function createSysBackend(state: VaultState, ns: NamespaceState, _ctx: MountContext): Backend {
  async function route(req: BackendRequest): Promise<BackendResponse | undefined> {
    const p = req.path;
    let rest: string | undefined;
    switch (p) {
      case 'health':
        return health(state, req);
      case 'seal-status':
        return sealStatus(state, req);
      case 'seal':
        return seal(state, req);
      case 'unseal':
        return unseal(state, req);
      case 'leader':
        return leader();
      case 'init':
        return init(req);
      case 'capabilities-self':
        return capabilities(state, ns, req, 'self');
      case 'capabilities':
        return capabilities(state, ns, req, 'token');
      case 'capabilities-accessor':
        return capabilities(state, ns, req, 'accessor');
    }
    if ((rest = under(p, 'mounts')) !== undefined) return mounts(state, ns, req, rest);
    if ((rest = under(p, 'auth')) !== undefined) return authMounts(state, ns, req, rest);
    if ((rest = under(p, 'policies/acl')) !== undefined) return policies(ns, req, rest.replace(/\/$/, ''), false);
    if ((rest = under(p, 'policy')) !== undefined) return policies(ns, req, rest.replace(/\/$/, ''), true);
    if ((rest = under(p, 'wrapping')) !== undefined) return wrapping(state, ns, req, rest);
    if ((rest = under(p, 'namespaces')) !== undefined) return namespaces(state, ns, req, rest);
    if ((rest = under(p, 'leases')) !== undefined) {
      const slash = rest.indexOf('/');
      const action = slash < 0 ? rest : rest.slice(0, slash);
      return leases(state, ns, req, action, slash < 0 ? '' : rest.slice(slash + 1));
    }
    for (const legacy of ['renew', 'revoke', 'revoke-prefix', 'revoke-force']) {
      if ((rest = under(p, legacy)) !== undefined) return leases(state, ns, req, legacy, rest);
    }
    throw unsupportedPath();
  }

  return {
    unauthenticatedPaths: ['health', 'seal-status', 'unseal', 'init', 'leader', 'wrapping/lookup'],
    sudoPaths: [
      'auth/*',
      'seal',
      'leases/revoke-prefix/*',
      'leases/revoke-force/*',
      'revoke-prefix/*',
      'revoke-force/*',
      'leases/lookup/*',
    ],
    handle: route,
  };
}
