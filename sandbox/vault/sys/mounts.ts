// sys/mounts and sys/auth: list, read, enable, tune and disable secrets engines and auth
// methods, with Vault's mount-info shape (and its habit of repeating the map at the top level).
import type { BackendRequest, BackendResponse } from '../backend';
import { badRequest, unsupportedOperation } from '../errors';
import { bool, duration, has, obj, str, strMap } from '../fields';
import type { MountEntry } from '../mounts';
import type { NamespaceState, VaultState } from '../state';

const RESERVED = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];

function mountInfo(state: VaultState, m: MountEntry): Record<string, unknown> {
  const config: Record<string, unknown> = {
    default_lease_ttl: m.defaultLeaseTtl,
    force_no_cache: false,
    max_lease_ttl: m.maxLeaseTtl,
  };
  if (m.kind === 'auth') config.token_type = 'default-service';
  return {
    accessor: m.accessor,
    config,
    deprecation_status: m.builtin ? undefined : 'supported',
    description: m.description,
    external_entropy_access: false,
    local: m.local,
    options: Object.keys(m.options).length > 0 ? m.options : null,
    plugin_version: '',
    running_plugin_version: `v${state.version}+builtin.vault`,
    running_sha256: '',
    seal_wrap: m.sealWrap,
    type: m.type,
    uuid: m.uuid,
  };
}

function listing(state: VaultState, ns: NamespaceState, kind: 'secret' | 'auth'): BackendResponse {
  const data: Record<string, unknown> = {};
  for (const m of ns.mounts.list(kind)) {
    data[kind === 'auth' ? m.path.slice('auth/'.length) : m.path] = mountInfo(state, m);
  }
  return { data, topLevel: { ...data } };
}

function normalizeMountPath(raw: string): string {
  const p = raw.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '') throw badRequest('path cannot be empty');
  return `${p}/`;
}

function parseMountBody(req: BackendRequest): {
  type: string;
  options: Record<string, string>;
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
  description: string;
  local: boolean;
  sealWrap: boolean;
} {
  let type = str(req.body, 'type');
  if (type === '') throw badRequest('backend type must be specified as a string');
  const options = strMap(req.body, 'options') ?? {};
  const config = obj(req.body, 'config') ?? {};
  if (type === 'kv-v2') {
    type = 'kv';
    options.version = '2';
  } else if (type === 'kv-v1') {
    type = 'kv';
    options.version = '1';
  }
  if (type === 'kv' && options.version !== undefined && !['1', '2'].includes(options.version)) {
    throw badRequest(`invalid KV version: ${options.version}`);
  }
  const defaultLeaseTtl = duration(config, 'default_lease_ttl');
  const maxLeaseTtl = duration(config, 'max_lease_ttl');
  if (maxLeaseTtl > 0 && defaultLeaseTtl > maxLeaseTtl)
    throw badRequest('given default lease TTL greater than given max lease TTL');
  return {
    type,
    options,
    defaultLeaseTtl,
    maxLeaseTtl,
    description: str(req.body, 'description'),
    local: bool(req.body, 'local'),
    sealWrap: bool(req.body, 'seal_wrap'),
  };
}

/** sys/mounts[/path[/tune]] */
export async function mounts(
  state: VaultState,
  ns: NamespaceState,
  req: BackendRequest,
  sub: string,
): Promise<BackendResponse | undefined> {
  if (sub === '') {
    if (req.operation !== 'read') throw unsupportedOperation();
    return listing(state, ns, 'secret');
  }
  if (sub.endsWith('/tune')) return tune(state, ns, req, normalizeMountPath(sub.slice(0, -'/tune'.length)), 'secret');
  const path = normalizeMountPath(sub);
  switch (req.operation) {
    case 'read': {
      const m = ns.mounts.get(path);
      if (!m || m.kind !== 'secret') throw badRequest(`no matching mount at "${path}"`);
      return { data: mountInfo(state, m) };
    }
    case 'create':
    case 'update': {
      if (RESERVED.some((r) => path.startsWith(r))) throw badRequest(`cannot mount under "${path}"`);
      const b = parseMountBody(req);
      state.mount(ns, { kind: 'secret', path, ...b });
      return undefined;
    }
    case 'delete': {
      const m = ns.mounts.get(path);
      if (m?.builtin || RESERVED.includes(path)) throw badRequest(`cannot unmount "${path}"`);
      if (m && m.kind === 'secret') await state.unmount(ns, path);
      return undefined;
    }
    default:
      throw unsupportedOperation();
  }
}

/** sys/auth[/path[/tune]] */
export async function authMounts(
  state: VaultState,
  ns: NamespaceState,
  req: BackendRequest,
  sub: string,
): Promise<BackendResponse | undefined> {
  if (sub === '') {
    if (req.operation !== 'read') throw unsupportedOperation();
    return listing(state, ns, 'auth');
  }
  if (sub.endsWith('/tune'))
    return tune(state, ns, req, `auth/${normalizeMountPath(sub.slice(0, -'/tune'.length))}`, 'auth');
  const path = normalizeMountPath(sub);
  switch (req.operation) {
    case 'read': {
      const m = ns.mounts.get(`auth/${path}`);
      if (!m) throw badRequest(`no matching mount at "${path}"`);
      return { data: mountInfo(state, m) };
    }
    case 'create':
    case 'update': {
      if (path === 'token/') throw badRequest('token credential backend cannot be instantiated');
      const b = parseMountBody(req);
      state.mount(ns, { kind: 'auth', path, ...b });
      return undefined;
    }
    case 'delete': {
      if (path === 'token/') throw badRequest('token credential backend cannot be disabled');
      await state.unmount(ns, `auth/${path}`);
      return undefined;
    }
    default:
      throw unsupportedOperation();
  }
}

async function tune(
  state: VaultState,
  ns: NamespaceState,
  req: BackendRequest,
  fullPath: string,
  kind: 'secret' | 'auth',
): Promise<BackendResponse | undefined> {
  const m = ns.mounts.get(fullPath);
  if (!m || m.kind !== kind) throw badRequest(`cannot fetch sysview for path "${fullPath}"`);
  if (req.operation === 'read') {
    return {
      data: {
        default_lease_ttl: m.defaultLeaseTtl || 768 * 3600,
        max_lease_ttl: m.maxLeaseTtl || 768 * 3600,
        force_no_cache: false,
        description: m.description,
        options: Object.keys(m.options).length > 0 ? m.options : null,
      },
    };
  }
  if (req.operation !== 'update' && req.operation !== 'create') throw unsupportedOperation();
  const def = has(req.body, 'default_lease_ttl') ? duration(req.body, 'default_lease_ttl') : m.defaultLeaseTtl;
  const max = has(req.body, 'max_lease_ttl') ? duration(req.body, 'max_lease_ttl') : m.maxLeaseTtl;
  if (max > 0 && def > max) throw badRequest('given default lease TTL greater than given max lease TTL');
  m.defaultLeaseTtl = def;
  m.maxLeaseTtl = max;
  if (has(req.body, 'description')) m.description = str(req.body, 'description');
  const options = strMap(req.body, 'options');
  if (options) {
    if (m.type === 'kv' && options.version === '1' && m.options.version === '2')
      throw badRequest('cannot downgrade mount from version 2');
    Object.assign(m.options, options);
  }
  return undefined;
}
