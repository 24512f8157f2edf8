// The lease registry's actions: list, renew, revoke (at Vault), evict (locally), clear.
import { LeaseActionError } from '../../../broker/leases';
import { ApiError } from '../../api';
import { leaseView } from '../token-agent';
import type { Handlers, HostContext } from '../context';

function requireLease(ctx: HostContext, id: string) {
  const record = ctx.agent.registry.get(id);
  if (!record) throw new ApiError('not-found', `There is no lease, token or cached secret with id '${id}'.`, 'id');
  return record;
}

function translate(error: unknown): never {
  if (error instanceof LeaseActionError) throw new ApiError('conflict', error.message, 'id');
  throw error;
}

export function leaseHandlers(
  ctx: HostContext,
): Pick<Handlers, 'leases.list' | 'leases.renew' | 'leases.revoke' | 'leases.evict' | 'leases.clear'> {
  const { registry } = ctx.agent;
  return {
    'leases.list': async () => registry.list().map((r) => leaseView(r)),
    'leases.renew': async ({ id }) => {
      requireLease(ctx, id);
      const record = await registry.renew(id).catch(translate);
      ctx.activity.add({ level: 'info', kind: 'lease-renewed', message: `renewed ${record.path} (${id})` });
      return leaseView(record);
    },
    'leases.revoke': async ({ id }) => {
      const record = requireLease(ctx, id);
      await registry.revoke(id).catch(translate);
      ctx.activity.add({ level: 'info', kind: 'lease-revoked', message: `revoked ${record.path} (${id}) at Vault` });
      return leaseView(registry.get(id) ?? { ...record, state: 'revoked' });
    },
    'leases.evict': async ({ id }) => {
      const record = requireLease(ctx, id);
      registry.evict(id, 'evicted from the UI');
      ctx.activity.add({
        level: 'info',
        kind: 'lease-evicted',
        message: `evicted ${record.path} (${id}) from the cache`,
      });
      return leaseView(registry.get(id) ?? { ...record, state: 'evicted' });
    },
    'leases.clear': async () => {
      const proxy = ctx.agent.proxy;
      let evicted = 0;
      if (proxy) evicted = await proxy.clearCache({ type: 'all' });
      else {
        for (const record of registry.list()) {
          if (record.kind !== 'session-token' && ['active', 'renewing'].includes(record.state)) {
            registry.evict(record.id, 'cache cleared from the UI');
            evicted++;
          }
        }
      }
      ctx.activity.add({
        level: 'info',
        kind: 'cache-cleared',
        message: `cleared the cache (${evicted} entries evicted)`,
      });
      return { evicted };
    },
  };
}
