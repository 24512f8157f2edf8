// KV version 2: versioned secrets under data/, their metadata under metadata/, soft delete,
// undelete, destroy, check-and-set, max_versions and delete_version_after, subkeys.
import type { BackendRequest, BackendResponse } from '../backend';
import { formatDuration } from '../duration';
import { badRequest, notFound, unsupportedOperation, VaultError } from '../errors';
import { bool, duration, has, int, obj, strMap } from '../fields';
import { rfc3339 } from '../ids';
import { listChildren } from './kv1';

interface Version {
  data: Record<string, unknown> | null;
  created: number;
  /** Epoch ms when (soft) deleted or scheduled to be; 0 = not. */
  deletedAt: number;
  destroyed: boolean;
}

export interface Kv2Key {
  versions: Map<number, Version>;
  current: number;
  oldest: number;
  created: number;
  updated: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
  customMetadata: Record<string, string> | null;
}

export interface Kv2Store {
  keys: Map<string, Kv2Key>;
  config: { maxVersions: number; casRequired: boolean; deleteVersionAfter: number };
}

export const createKv2Store = (): Kv2Store => ({
  keys: new Map(),
  config: { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 },
});

const INVALID_PATH_WARNING =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

const isDeleted = (v: Version): boolean => v.deletedAt > 0 && v.deletedAt <= Date.now();

function versionMeta(v: Version, n: number, key: Kv2Key): Record<string, unknown> {
  return {
    created_time: rfc3339(v.created),
    custom_metadata: key.customMetadata,
    deletion_time: v.deletedAt > 0 ? rfc3339(v.deletedAt) : '',
    destroyed: v.destroyed,
    version: n,
  };
}

function metadataData(store: Kv2Store, key: Kv2Key): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [n, v] of key.versions) {
    versions[String(n)] = {
      created_time: rfc3339(v.created),
      deletion_time: v.deletedAt > 0 ? rfc3339(v.deletedAt) : '',
      destroyed: v.destroyed,
    };
  }
  return {
    cas_required: key.casRequired,
    created_time: rfc3339(key.created),
    current_version: key.current,
    custom_metadata: key.customMetadata,
    delete_version_after: formatDuration(key.deleteVersionAfter),
    max_versions: key.maxVersions,
    oldest_version: key.oldest,
    updated_time: rfc3339(key.updated),
    versions,
  };
}

function versionList(req: BackendRequest): number[] {
  const raw = req.body.versions;
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out = list.map((x) => Number(typeof x === 'string' ? x.trim() : x));
  if (out.some((n) => !Number.isInteger(n) || n < 0))
    throw badRequest('error converting input for field "versions": cannot parse as int');
  if (out.length === 0) throw badRequest('no version number provided');
  return out;
}

function effectiveMax(store: Kv2Store, key: Kv2Key): number {
  const candidates = [key.maxVersions, store.config.maxVersions].filter((n) => n > 0);
  return candidates.length > 0 ? Math.min(...candidates) : 10;
}

function writeVersion(
  store: Kv2Store,
  path: string,
  data: Record<string, unknown>,
  cas: number | undefined,
): BackendResponse {
  const now = Date.now();
  let key = store.keys.get(path);
  const casRequired = store.config.casRequired || (key?.casRequired ?? false);
  if (casRequired && cas === undefined) throw badRequest('check-and-set parameter required for this call');
  if (cas !== undefined && cas !== (key?.current ?? 0))
    throw badRequest('check-and-set parameter did not match the current version');
  if (!key) {
    key = {
      versions: new Map(),
      current: 0,
      oldest: 0,
      created: now,
      updated: now,
      maxVersions: 0,
      casRequired: false,
      deleteVersionAfter: 0,
      customMetadata: null,
    };
    store.keys.set(path, key);
  }
  const n = key.current + 1;
  const dva = key.deleteVersionAfter || store.config.deleteVersionAfter;
  const version: Version = { data, created: now, deletedAt: dva > 0 ? now + dva * 1000 : 0, destroyed: false };
  key.versions.set(n, version);
  key.current = n;
  key.updated = now;
  if (key.oldest === 0) key.oldest = n;
  const max = effectiveMax(store, key);
  while (key.versions.size > max) {
    key.versions.delete(key.oldest);
    key.oldest += 1;
  }
  return { data: versionMeta(version, n, key) };
}

function readData(store: Kv2Store, req: BackendRequest, path: string): BackendResponse {
  const key = store.keys.get(path);
  if (!key) throw notFound();
  const requested = has(req.body, 'version') ? int(req.body, 'version') : 0;
  const n = requested > 0 ? requested : key.current;
  const v = key.versions.get(n);
  if (!v) throw notFound();
  if (isDeleted(v) || v.destroyed) return { status: 404, data: { data: null, metadata: versionMeta(v, n, key) } };
  return { data: { data: { ...v.data }, metadata: versionMeta(v, n, key) } };
}

function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (
      typeof v === 'object' &&
      !Array.isArray(v) &&
      typeof out[k] === 'object' &&
      out[k] !== null &&
      !Array.isArray(out[k])
    ) {
      out[k] = mergePatch(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

function handleData(store: Kv2Store, req: BackendRequest, path: string): BackendResponse | undefined {
  switch (req.operation) {
    case 'read':
      return readData(store, req, path);
    case 'create':
    case 'update': {
      const data = obj(req.body, 'data');
      if (!data) throw badRequest('no data provided');
      const options = obj(req.body, 'options') ?? {};
      const cas = has(options, 'cas') ? int(options, 'cas') : undefined;
      return writeVersion(store, path, data, cas);
    }
    case 'patch': {
      const type = String(req.headers['content-type'] ?? '');
      if (!type.startsWith('application/merge-patch+json')) {
        throw new VaultError(415, [
          `Unsupported Content-Type="${type}". Supported Content-Type="application/merge-patch+json"`,
        ]);
      }
      const key = store.keys.get(path);
      const current = key?.versions.get(key.current);
      if (!key || !current || isDeleted(current) || current.destroyed) throw notFound();
      const data = obj(req.body, 'data');
      if (!data) throw badRequest('no data provided');
      const options = obj(req.body, 'options') ?? {};
      const cas = has(options, 'cas') ? int(options, 'cas') : undefined;
      return writeVersion(store, path, mergePatch(current.data ?? {}, data), cas);
    }
    case 'delete': {
      const key = store.keys.get(path);
      const v = key?.versions.get(key.current);
      if (v && !isDeleted(v) && !v.destroyed) v.deletedAt = Date.now();
      return undefined;
    }
    default:
      throw unsupportedOperation();
  }
}

function handleMetadata(store: Kv2Store, req: BackendRequest, path: string): BackendResponse | undefined {
  switch (req.operation) {
    case 'read': {
      const key = store.keys.get(path);
      if (!key) throw notFound();
      return { data: metadataData(store, key) };
    }
    case 'list': {
      const keys = listChildren(store.keys.keys(), path);
      if (keys.length === 0) throw notFound();
      return { data: { keys } };
    }
    case 'create':
    case 'update':
    case 'patch': {
      if (path === '' || path.endsWith('/')) throw badRequest('missing path');
      const now = Date.now();
      let key = store.keys.get(path);
      if (!key) {
        key = {
          versions: new Map(),
          current: 0,
          oldest: 0,
          created: now,
          updated: now,
          maxVersions: 0,
          casRequired: false,
          deleteVersionAfter: 0,
          customMetadata: null,
        };
        store.keys.set(path, key);
      }
      if (has(req.body, 'max_versions')) key.maxVersions = int(req.body, 'max_versions');
      if (key.maxVersions < 0) throw badRequest('max_versions cannot be negative');
      if (has(req.body, 'cas_required')) key.casRequired = bool(req.body, 'cas_required');
      if (has(req.body, 'delete_version_after')) key.deleteVersionAfter = duration(req.body, 'delete_version_after');
      const custom = strMap(req.body, 'custom_metadata');
      if (custom) key.customMetadata = req.operation === 'patch' ? { ...key.customMetadata, ...custom } : custom;
      key.updated = now;
      const max = effectiveMax(store, key);
      while (key.versions.size > max) {
        key.versions.delete(key.oldest);
        key.oldest += 1;
      }
      return undefined;
    }
    case 'delete':
      store.keys.delete(path);
      return undefined;
    default:
      throw unsupportedOperation();
  }
}

function handleVersions(
  store: Kv2Store,
  req: BackendRequest,
  action: string,
  path: string,
): BackendResponse | undefined {
  if (req.operation !== 'create' && req.operation !== 'update') throw unsupportedOperation();
  const versions = versionList(req);
  const key = store.keys.get(path);
  if (!key) return undefined;
  for (const n of versions) {
    const v = key.versions.get(n);
    if (!v) continue;
    if (action === 'delete' && !v.destroyed && !isDeleted(v)) v.deletedAt = Date.now();
    if (action === 'undelete' && !v.destroyed) v.deletedAt = 0;
    if (action === 'destroy') {
      v.destroyed = true;
      v.data = null;
    }
  }
  return undefined;
}

function subkeysOf(data: Record<string, unknown>, depth: number, level = 1): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const nested = typeof v === 'object' && v !== null && !Array.isArray(v);
    out[k] =
      nested && (depth === 0 || level < depth) ? subkeysOf(v as Record<string, unknown>, depth, level + 1) : null;
  }
  return out;
}

export function handleKv2(store: Kv2Store, req: BackendRequest): BackendResponse | undefined {
  const slash = req.path.indexOf('/');
  const head = slash < 0 ? req.path : req.path.slice(0, slash);
  const path = slash < 0 ? '' : req.path.slice(slash + 1);
  switch (head) {
    case 'data':
      if (path === '' && req.operation !== 'list') throw badRequest('missing path');
      return handleData(store, req, path);
    case 'metadata':
      return handleMetadata(store, req, path);
    case 'delete':
    case 'undelete':
    case 'destroy':
      return handleVersions(store, req, head, path);
    case 'subkeys': {
      if (req.operation !== 'read') throw unsupportedOperation();
      const read = readData(store, req, path);
      if (read.status === 404) return read;
      const depth = has(req.body, 'depth') ? int(req.body, 'depth') : 0;
      const d = read.data as { data: Record<string, unknown>; metadata: unknown };
      return { data: { subkeys: subkeysOf(d.data, depth), metadata: d.metadata } };
    }
    case 'config': {
      if (req.operation === 'read') {
        return {
          data: {
            cas_required: store.config.casRequired,
            delete_version_after: formatDuration(store.config.deleteVersionAfter),
            max_versions: store.config.maxVersions,
          },
        };
      }
      if (req.operation !== 'create' && req.operation !== 'update') throw unsupportedOperation();
      if (has(req.body, 'max_versions')) store.config.maxVersions = int(req.body, 'max_versions');
      if (has(req.body, 'cas_required')) store.config.casRequired = bool(req.body, 'cas_required');
      if (has(req.body, 'delete_version_after'))
        store.config.deleteVersionAfter = duration(req.body, 'delete_version_after');
      return undefined;
    }
    default:
      return { status: 404, data: null, warnings: [INVALID_PATH_WARNING] };
  }
}

/** Does the key behind a data/ or metadata/ write exist (create vs update in the ACL)? */
export function kv2Exists(store: Kv2Store, path: string): boolean {
  const slash = path.indexOf('/');
  if (slash < 0) return true;
  return store.keys.has(path.slice(slash + 1));
}
