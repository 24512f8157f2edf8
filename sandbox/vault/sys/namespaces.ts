// sys/namespaces (Vault Enterprise): create, read, list and delete child namespaces. Each
// namespace has its own mounts, policies and tokens; requests select one with the
// X-Vault-Namespace header or a path prefix.
import type { BackendRequest, BackendResponse } from '../backend';
import { badRequest, notFound, unsupportedOperation } from '../errors';
import { strMap } from '../fields';
import type { NamespaceState, VaultState } from '../state';

function info(ns: NamespaceState, parent: NamespaceState): Record<string, unknown> {
  return { id: ns.id, path: ns.path.slice(parent.path.length), custom_metadata: ns.customMetadata };
}

export async function namespaces(
  state: VaultState,
  parent: NamespaceState,
  req: BackendRequest,
  sub: string,
): Promise<BackendResponse | undefined> {
  if (sub === '') {
    if (req.operation !== 'list') throw unsupportedOperation();
    const children = [...state.namespaces.values()].filter((n) => {
      if (!n.path.startsWith(parent.path) || n.path === parent.path) return false;
      return !n.path.slice(parent.path.length, -1).includes('/');
    });
    if (children.length === 0) throw notFound();
    const keys = children.map((n) => n.path.slice(parent.path.length)).sort();
    const keyInfo = Object.fromEntries(children.map((n) => [n.path.slice(parent.path.length), info(n, parent)]));
    return { data: { keys, key_info: keyInfo } };
  }
  const name = sub.replace(/\/+$/, '');
  if (
    !/^[A-Za-z0-9_.-]+$/.test(name) ||
    name === 'root' ||
    name === 'sys' ||
    name === 'auth' ||
    name === 'cubbyhole' ||
    name === 'identity'
  ) {
    throw badRequest(`"${name}" is not a valid namespace name`);
  }
  const path = `${parent.path}${name}/`;
  switch (req.operation) {
    case 'read': {
      const ns = state.namespaces.get(path);
      if (!ns) throw notFound();
      return { data: info(ns, parent) };
    }
    case 'create':
    case 'update': {
      const ns = state.createNamespace(path, strMap(req.body, 'custom_metadata') ?? {});
      return { data: info(ns, parent) };
    }
    case 'delete':
      await state.deleteNamespace(path);
      return undefined;
    default:
      throw unsupportedOperation();
  }
}
