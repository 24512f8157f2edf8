// The mount table of one namespace: secrets engines at "path/" and auth methods at
// "auth/path/", each with its backend, accessor and tunable TTLs; requests are routed to the
// longest matching mount path.
import type { Backend } from './backend';
import { base62, newUuid } from './ids';

export interface MountEntry {
  /** "secret/", "sys/", "auth/userpass/". */
  path: string;
  kind: 'secret' | 'auth';
  type: string;
  description: string;
  accessor: string;
  uuid: string;
  options: Record<string, string>;
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
  local: boolean;
  sealWrap: boolean;
  backend: Backend;
  /** sys/, auth/token/, cubbyhole/ cannot be disabled or moved. */
  builtin: boolean;
}

export interface MountTable {
  add(entry: Omit<MountEntry, 'accessor' | 'uuid'>): MountEntry;
  remove(path: string): MountEntry | undefined;
  get(path: string): MountEntry | undefined;
  /** The mount serving `path` (longest prefix) and the path relative to it. */
  match(path: string): { mount: MountEntry; rest: string } | undefined;
  /** Would `path` overlap an existing mount (one inside the other)? */
  conflicts(path: string): MountEntry | undefined;
  list(kind: 'secret' | 'auth'): MountEntry[];
}

const ACCESSOR_PREFIX: Record<string, string> = {
  kv: 'kv',
  system: 'system',
  token: 'auth_token',
  cubbyhole: 'cubbyhole',
  identity: 'identity',
};

export function createMountTable(): MountTable {
  const mounts = new Map<string, MountEntry>();
  return {
    add(e) {
      const prefix = e.kind === 'auth' ? `auth_${e.type}` : (ACCESSOR_PREFIX[e.type] ?? e.type);
      const entry: MountEntry = { ...e, accessor: `${prefix}_${base62(8).toLowerCase()}`, uuid: newUuid() };
      mounts.set(entry.path, entry);
      return entry;
    },
    remove(path) {
      const entry = mounts.get(path);
      mounts.delete(path);
      return entry;
    },
    get: (path) => mounts.get(path),
    match(path) {
      let best: MountEntry | undefined;
      for (const m of mounts.values()) {
        const hit = path.startsWith(m.path) || path === m.path.slice(0, -1);
        if (hit && (!best || m.path.length > best.path.length)) best = m;
      }
      if (!best) return undefined;
      return { mount: best, rest: path.slice(best.path.length) };
    },
    conflicts(path) {
      for (const m of mounts.values()) {
        if (m.path.startsWith(path) || path.startsWith(m.path)) return m;
      }
      return undefined;
    },
    list(kind) {
      return [...mounts.values()].filter((m) => m.kind === kind).sort((a, b) => a.path.localeCompare(b.path));
    },
  };
}
