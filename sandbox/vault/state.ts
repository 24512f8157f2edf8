// The whole server's state: seal, namespaces (each with its mounts and policies), the token
// store, the lease manager, and the backend factories by type. Mounting and unmounting live
// here so sys/mounts, sys/auth and startup share one code path.
import type { BackendFactory, MountContext } from './backend';
import { badRequest } from './errors';
import { base62, newUuid } from './ids';
import { createLeaseManager, type LeaseManager } from './leases';
import { createMountTable, type MountEntry, type MountTable } from './mounts';
import { createAcl, DEFAULT_POLICY, parsePolicy, RESPONSE_WRAPPING_POLICY, type Acl, type Policy } from './policy';
import { createScheduler, type Scheduler } from './scheduler';
import { createTokenStore, type TokenEntry, type TokenStore } from './tokens';

export const VAULT_VERSION = '1.17.0';

export interface NamespaceState {
  /** "" for root, "team-a/" otherwise. */
  path: string;
  id: string;
  mounts: MountTable;
  policies: Map<string, Policy>;
  customMetadata: Record<string, string>;
}

export interface MountRequest {
  kind: 'secret' | 'auth';
  /** With trailing slash; auth mounts without the "auth/" prefix. */
  path: string;
  type: string;
  description?: string;
  options?: Record<string, string>;
  defaultLeaseTtl?: number;
  maxLeaseTtl?: number;
  local?: boolean;
  sealWrap?: boolean;
}

export interface VaultState {
  readonly version: string;
  readonly clusterName: string;
  readonly clusterId: string;
  sealed: boolean;
  /** Simulated standby (fault control): sys/health answers 429. */
  standby: boolean;
  readonly unsealKey: string;
  /** Unseal key shares submitted so far (threshold 1: 0 or none). */
  unsealProgress: number;
  readonly scheduler: Scheduler;
  readonly tokens: TokenStore;
  readonly leases: LeaseManager;
  readonly namespaces: Map<string, NamespaceState>;
  readonly factories: { secret: Map<string, BackendFactory>; auth: Map<string, BackendFactory> };
  /** Built-in backends that need the state itself (sys, token, cubbyhole). */
  readonly builtins: Map<
    string,
    (state: VaultState, ns: NamespaceState, ctx: MountContext) => ReturnType<BackendFactory>
  >;
  log(message: string): void;
  mount(ns: NamespaceState, req: MountRequest, builtin?: boolean): MountEntry;
  unmount(ns: NamespaceState, fullPath: string): Promise<void>;
  createNamespace(path: string, customMetadata?: Record<string, string>): NamespaceState;
  deleteNamespace(path: string): Promise<void>;
  /** The ACL of a token, from the policies of the token's namespace. */
  aclFor(token: TokenEntry): Acl;
  close(): Promise<void>;
}

export function createVaultState(opts: {
  unsealKey: string;
  factories: VaultState['factories'];
  builtins: VaultState['builtins'];
  log: (message: string) => void;
}): VaultState {
  const scheduler = createScheduler();
  const namespaces = new Map<string, NamespaceState>();

  const leases = createLeaseManager({
    scheduler,
    backendFor: (ns, mountPath) => namespaces.get(ns)?.mounts.get(mountPath)?.backend,
    onError: (leaseId, error) => {
      const reason = error instanceof Error ? error.name : 'error';
      opts.log(`failed to revoke lease ${leaseId} (${reason})`);
    },
  });
  const tokens = createTokenStore({
    scheduler,
    onRevoke: async (entry) => leases.revokeByToken(entry.id),
  });

  const state: VaultState = {
    version: VAULT_VERSION,
    clusterName: `vault-cluster-${base62(8).toLowerCase()}`,
    clusterId: newUuid(),
    sealed: false,
    standby: false,
    unsealKey: opts.unsealKey,
    unsealProgress: 0,
    scheduler,
    tokens,
    leases,
    namespaces,
    factories: opts.factories,
    builtins: opts.builtins,
    log: opts.log,

    mount(ns, req, builtin = false) {
      const fullPath = req.kind === 'auth' ? `auth/${req.path}` : req.path;
      const existing = ns.mounts.conflicts(fullPath);
      if (existing) {
        throw badRequest(
          existing.path === fullPath ? `path is already in use at ${fullPath}` : `existing mount at ${existing.path}`,
        );
      }
      const factory = req.kind === 'auth' ? opts.factories.auth.get(req.type) : opts.factories.secret.get(req.type);
      const builtinFactory = opts.builtins.get(req.type);
      if (!factory && !builtinFactory) {
        throw badRequest(
          req.kind === 'auth' ? `unknown backend type: "${req.type}"` : `plugin not found in the catalog: ${req.type}`,
        );
      }
      const holder: { entry?: MountEntry } = {};
      const ctx: MountContext = {
        path: fullPath,
        type: req.type,
        get accessor() {
          return holder.entry?.accessor ?? '';
        },
        options: req.options ?? {},
        namespace: ns.path,
        config: () => ({
          defaultLeaseTtl: holder.entry?.defaultLeaseTtl ?? 0,
          maxLeaseTtl: holder.entry?.maxLeaseTtl ?? 0,
        }),
        revokeLeasesWithPrefix: (prefix) => leases.revokePrefix(ns.path, `${fullPath}${prefix}`),
      };
      const backend = builtinFactory ? builtinFactory(state, ns, ctx) : (factory as BackendFactory)(ctx);
      holder.entry = ns.mounts.add({
        path: fullPath,
        kind: req.kind,
        type: req.type,
        description: req.description ?? '',
        options: req.options ?? {},
        defaultLeaseTtl: req.defaultLeaseTtl ?? 0,
        maxLeaseTtl: req.maxLeaseTtl ?? 0,
        local: req.local ?? false,
        sealWrap: req.sealWrap ?? false,
        backend,
        builtin,
      });
      return holder.entry;
    },

    async unmount(ns, fullPath) {
      const entry = ns.mounts.get(fullPath);
      if (!entry) return;
      // Vault revokes every lease of the mount (and every token of an auth mount) first.
      await leases.revokePrefix(ns.path, fullPath);
      if (entry.kind === 'auth') {
        for (const t of tokens.all()) {
          if (t.namespace === ns.path && t.authMount === fullPath) await tokens.revoke(t.id);
        }
      }
      ns.mounts.remove(fullPath);
      await entry.backend.close?.();
    },

    createNamespace(path, customMetadata = {}) {
      if (namespaces.has(path)) return namespaces.get(path) as NamespaceState;
      const ns: NamespaceState = {
        path,
        id: path === '' ? 'root' : base62(5),
        mounts: createMountTable(),
        policies: new Map(),
        customMetadata,
      };
      namespaces.set(path, ns);
      ns.policies.set('default', parsePolicy('default', DEFAULT_POLICY));
      ns.policies.set('response-wrapping', parsePolicy('response-wrapping', RESPONSE_WRAPPING_POLICY));
      state.mount(
        ns,
        {
          kind: 'secret',
          path: 'sys/',
          type: 'system',
          description: 'system endpoints used for control, policy and debugging',
        },
        true,
      );
      state.mount(ns, { kind: 'auth', path: 'token/', type: 'token', description: 'token based credentials' }, true);
      state.mount(
        ns,
        {
          kind: 'secret',
          path: 'cubbyhole/',
          type: 'cubbyhole',
          description: 'per-token private secret storage',
          local: true,
        },
        true,
      );
      return ns;
    },

    async deleteNamespace(path) {
      for (const child of [...namespaces.keys()]) {
        if (child !== path && child.startsWith(path))
          throw badRequest(`cannot delete namespace ("${path}") containing child namespaces`);
      }
      const ns = namespaces.get(path);
      if (!ns) return;
      for (const t of tokens.all()) if (t.namespace === path) await tokens.revoke(t.id);
      for (const m of [...ns.mounts.list('secret'), ...ns.mounts.list('auth')]) await state.unmount(ns, m.path);
      namespaces.delete(path);
    },

    aclFor(token) {
      const ns = namespaces.get(token.namespace);
      const policies: Policy[] = [];
      for (const name of token.policies) {
        if (name === 'root') policies.push({ name: 'root', text: '', rules: [] });
        const p = ns?.policies.get(name);
        if (p) policies.push(p);
      }
      return createAcl(policies);
    },

    async close() {
      scheduler.clear();
      for (const ns of namespaces.values()) {
        for (const m of [...ns.mounts.list('secret'), ...ns.mounts.list('auth')]) {
          await m.backend.close?.().catch(() => undefined);
        }
      }
      leases.clear();
      tokens.clear();
    },
  };
  return state;
}
