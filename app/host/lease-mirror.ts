// Dynamic leases taken by brokered connections, mirrored into the lease registry so the UI
// shows them (origin `connection:<name>`) and its Renew / Revoke act on them at Vault. The
// fetcher renews its own leases, so the registry does not.
import type { DynamicLeaseEvent } from '../../broker/credentials';
import type { LeaseRegistry } from '../../broker/leases';
import type { VaultClient } from '../../broker/vault';

export function mirrorDynamicLeases(registry: LeaseRegistry, vault: VaultClient, token: () => Promise<string>) {
  return (connection: string, event: DynamicLeaseEvent) => {
    const id = `lease:${event.leaseId}`;
    switch (event.type) {
      case 'issued':
        registry.track(
          {
            id,
            kind: 'lease',
            path: event.path,
            leaseId: event.leaseId,
            issuedAt: new Date(),
            expiresAt: event.expiresAt,
            renewable: event.renewable,
            origin: { type: 'connection', name: connection },
          },
          {
            async renew(increment) {
              const response = await vault.request({
                method: 'PUT',
                path: 'sys/leases/renew',
                token: await token(),
                body: { lease_id: event.leaseId, increment },
              });
              return { ttl: response?.lease_duration ?? 0, renewable: response?.renewable ?? false };
            },
            async revoke() {
              await vault.request({
                method: 'PUT',
                path: 'sys/leases/revoke',
                token: await token(),
                body: { lease_id: event.leaseId },
              });
            },
          },
        );
        break;
      case 'renewed': {
        const current = registry.get(id);
        if (current)
          registry.update(id, {
            expiresAt: event.expiresAt,
            renewable: event.renewable,
            renewals: current.renewals + 1,
            lastRenewedAt: new Date(),
            lastError: null,
          });
        break;
      }
      case 'renew-failed':
        if (registry.has(id)) registry.update(id, { lastError: event.reason ?? 'renewal failed' });
        break;
      case 'revoked':
        if (registry.has(id)) registry.end(id, 'revoked', event.reason ?? 'revoked');
        break;
      case 'expired':
        if (registry.has(id)) registry.end(id, 'expired', event.reason ?? 'expired');
        break;
    }
  };
}
