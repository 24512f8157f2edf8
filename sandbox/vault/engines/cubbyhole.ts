// cubbyhole/: a private KV v1 store per token, gone when the token is revoked.
import type { Backend, MountContext } from '../backend';
import { VaultError } from '../errors';
import type { NamespaceState, VaultState } from '../state';
import { handleKv1 } from './kv1';

export function createCubbyholeBackend(state: VaultState, _ns: NamespaceState, _ctx: MountContext): Backend {
  const stores = new Map<string, Map<string, Record<string, unknown>>>();

  function storeFor(tokenId: string | undefined): Map<string, Record<string, unknown>> {
    if (!tokenId) throw new VaultError(400, ['client token empty']);
    // Drop the stores of tokens that no longer exist.
    for (const id of stores.keys()) if (!state.tokens.lookup(id)) stores.delete(id);
    let store = stores.get(tokenId);
    if (!store) {
      store = new Map();
      stores.set(tokenId, store);
    }
    return store;
  }

  return {
    async handle(req) {
      return handleKv1(storeFor(req.token?.id), req, null);
    },
    async exists(req) {
      return storeFor(req.token?.id).has(req.path);
    },
  };
}
