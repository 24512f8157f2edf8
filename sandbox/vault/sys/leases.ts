// sys/leases/{lookup,renew,revoke,revoke-prefix,revoke-force} and the older sys/renew,
// sys/revoke, sys/revoke-prefix aliases.
import type { BackendRequest, BackendResponse } from '../backend';
import { badRequest, notFound, unsupportedOperation } from '../errors';
import { duration, str } from '../fields';
import { rfc3339 } from '../ids';
import type { NamespaceState, VaultState } from '../state';

const isWrite = (req: BackendRequest): boolean => req.operation === 'update' || req.operation === 'create';

function leaseIdFrom(req: BackendRequest, fromPath: string): string {
  const id = fromPath !== '' ? fromPath : str(req.body, 'lease_id') || str(req.body, 'url_lease_id');
  return id.trim();
}

export async function leases(
  state: VaultState,
  ns: NamespaceState,
  req: BackendRequest,
  action: string,
  rest: string,
): Promise<BackendResponse | undefined> {
  switch (action) {
    case 'lookup': {
      if (req.operation === 'list') {
        const prefix = rest;
        const keys = new Set<string>();
        for (const id of state.leases.list(ns.path, prefix)) {
          const tail = id.slice(prefix.length);
          const slash = tail.indexOf('/');
          keys.add(slash >= 0 ? tail.slice(0, slash + 1) : tail);
        }
        if (keys.size === 0) throw notFound();
        return { data: { keys: [...keys].sort() } };
      }
      if (!isWrite(req) || rest !== '') throw unsupportedOperation();
      const id = leaseIdFrom(req, '');
      if (id === '') throw badRequest('missing lease ID');
      const lease = state.leases.lookup(id);
      if (!lease || lease.namespace !== ns.path) throw badRequest('invalid lease');
      return {
        data: {
          id: lease.id,
          issue_time: rfc3339(lease.issueTime),
          expire_time: rfc3339(lease.expireAt),
          last_renewal: lease.lastRenewal === undefined ? null : rfc3339(lease.lastRenewal),
          renewable: lease.renewable,
          ttl: state.leases.ttlLeft(lease),
        },
      };
    }
    case 'renew': {
      if (!isWrite(req)) throw unsupportedOperation();
      const id = leaseIdFrom(req, rest);
      if (id === '') throw badRequest('lease_id must be specified');
      const increment = duration(req.body, 'increment');
      const lease = state.leases.lookup(id);
      if (!lease || lease.namespace !== ns.path) throw badRequest('lease not found');
      const result = await state.leases.renew(id, increment);
      return {
        data: null,
        topLevel: { lease_id: id, renewable: result.lease.renewable, lease_duration: result.ttl },
        warnings: result.warnings,
      };
    }
    case 'revoke': {
      if (!isWrite(req)) throw unsupportedOperation();
      const id = leaseIdFrom(req, rest);
      if (id === '') throw badRequest('lease_id must be specified');
      const lease = state.leases.lookup(id);
      if (lease && lease.namespace !== ns.path) throw badRequest('invalid lease');
      await state.leases.revoke(id);
      return undefined;
    }
    case 'revoke-prefix':
    case 'revoke-force': {
      if (!isWrite(req)) throw unsupportedOperation();
      if (rest === '') throw badRequest('prefix must be specified');
      await state.leases.revokePrefix(ns.path, rest);
      return undefined;
    }
    default:
      throw unsupportedOperation();
  }
}
