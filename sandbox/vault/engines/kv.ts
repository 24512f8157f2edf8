// The kv secrets engine, version 1 or 2 by the mount's `options.version`; tuning a v1 mount to
// version 2 upgrades its secrets to version 1 of each key, as Vault does.
import type { Backend, BackendFactory } from '../backend';
import { handleKv1 } from './kv1';
import { createKv2Store, handleKv2, kv2Exists } from './kv2';

export const createKvBackend: BackendFactory = (ctx) => {
  const v1 = new Map<string, Record<string, unknown>>();
  const v2 = createKv2Store();
  const isV2 = (): boolean => ctx.options.version === '2';

  function upgradeIfNeeded(): void {
    if (!isV2() || v1.size === 0) return;
    const now = Date.now();
    for (const [path, data] of v1) {
      v2.keys.set(path, {
        versions: new Map([[1, { data, created: now, deletedAt: 0, destroyed: false }]]),
        current: 1,
        oldest: 1,
        created: now,
        updated: now,
        maxVersions: 0,
        casRequired: false,
        deleteVersionAfter: 0,
        customMetadata: null,
      });
    }
    v1.clear();
  }

  const backend: Backend = {
    async handle(req) {
      upgradeIfNeeded();
      if (isV2()) return handleKv2(v2, req);
      return handleKv1(v1, req, () => ctx.config().defaultLeaseTtl);
    },
    async exists(req) {
      upgradeIfNeeded();
      return isV2() ? kv2Exists(v2, req.path) : v1.has(req.path);
    },
  };
  return backend;
};
