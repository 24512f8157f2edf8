// The AppRole auth method: roles with a role_id, secret IDs (TTL, use counts, CIDRs,
// metadata) and login {role_id, secret_id}.
import { randomUUID } from 'node:crypto';
import type { Backend, BackendFactory, BackendRequest, BackendResponse } from '../backend';
import { badRequest, notFound, unsupportedOperation, unsupportedPath } from '../errors';
import { bool, duration, has, int, str, strList } from '../fields';
import { rfc3339 } from '../ids';
import {
  defaultTokenFields,
  loginFromTokenFields,
  parseTokenFields,
  tokenFieldsResponse,
  type TokenFields,
} from './token-fields';
import { cidrContains } from './cidr';

interface SecretId {
  id: string;
  accessor: string;
  created: number;
  updated: number;
  expiresAt: number; // 0 = never
  ttl: number;
  numUses: number; // 0 = unlimited
  cidrs: string[];
  metadata: Record<string, string>;
}

interface Role {
  name: string;
  roleId: string;
  bindSecretId: boolean;
  secretIdTtl: number;
  secretIdNumUses: number;
  secretIdBoundCidrs: string[];
  token: TokenFields;
  secretIds: Map<string, SecretId>; // by secret id
}

const ROLE_NAME = /^\w(?:[\w\-.@]*\w)?$/;
const INVALID = 'invalid role or secret ID';
const isWrite = (req: BackendRequest): boolean => req.operation === 'create' || req.operation === 'update';

function parseMetadata(body: Record<string, unknown>): Record<string, string> {
  const raw = body.metadata;
  if (raw === undefined || raw === null || raw === '') return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest('failed to parse metadata: invalid character in JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('metadata must be a JSON object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw badRequest(`metadata value for key "${k}" must be a string`);
    out[k] = v;
  }
  return out;
}

export const createAppRoleAuthMethod: BackendFactory = () => {
  const roles = new Map<string, Role>();

  const live = (s: SecretId): boolean => s.expiresAt === 0 || s.expiresAt > Date.now();

  function roleOr400(name: string): Role {
    const role = roles.get(name);
    if (!role) throw badRequest(`role "${name}" does not exist`);
    return role;
  }

  function secretIdInfo(s: SecretId): Record<string, unknown> {
    return {
      cidr_list: s.cidrs,
      creation_time: rfc3339(s.created),
      expiration_time: s.expiresAt ? rfc3339(s.expiresAt) : '0001-01-01T00:00:00Z',
      last_updated_time: rfc3339(s.updated),
      metadata: s.metadata,
      secret_id_accessor: s.accessor,
      secret_id_num_uses: s.numUses,
      secret_id_ttl: s.ttl,
      token_bound_cidrs: [],
    };
  }

  function issueSecretId(role: Role, req: BackendRequest, custom?: string): BackendResponse {
    if (!isWrite(req)) throw unsupportedOperation();
    const ttl = has(req.body, 'ttl') ? duration(req.body, 'ttl') : role.secretIdTtl;
    const numUses = has(req.body, 'num_uses') ? int(req.body, 'num_uses') : role.secretIdNumUses;
    if (numUses < 0) throw badRequest('num_uses cannot be negative');
    if (role.secretIdTtl > 0 && ttl > role.secretIdTtl)
      throw badRequest("ttl cannot be longer than the role's secret_id_ttl");
    const now = Date.now();
    const s: SecretId = {
      id: custom ?? randomUUID(),
      accessor: randomUUID(),
      created: now,
      updated: now,
      expiresAt: ttl > 0 ? now + ttl * 1000 : 0,
      ttl,
      numUses,
      cidrs: strList(req.body, 'cidr_list'),
      metadata: parseMetadata(req.body),
    };
    if (role.secretIds.has(s.id)) throw badRequest('SecretID is already registered');
    role.secretIds.set(s.id, s);
    return {
      data: { secret_id: s.id, secret_id_accessor: s.accessor, secret_id_ttl: ttl, secret_id_num_uses: numUses },
    };
  }

  function rolePath(req: BackendRequest, name: string, sub: string): BackendResponse | undefined {
    if (!ROLE_NAME.test(name)) throw badRequest(`invalid role name "${name}"`);
    switch (sub) {
      case '': {
        const existing = roles.get(name);
        if (req.operation === 'read') {
          if (!existing) throw notFound();
          return {
            data: {
              bind_secret_id: existing.bindSecretId,
              local_secret_ids: false,
              secret_id_bound_cidrs: existing.secretIdBoundCidrs,
              secret_id_num_uses: existing.secretIdNumUses,
              secret_id_ttl: existing.secretIdTtl,
              ...tokenFieldsResponse(existing.token),
            },
          };
        }
        if (req.operation === 'delete') {
          roles.delete(name);
          return undefined;
        }
        if (!isWrite(req)) throw unsupportedOperation();
        const role: Role = existing ?? {
          name,
          roleId: randomUUID(),
          bindSecretId: true,
          secretIdTtl: 0,
          secretIdNumUses: 0,
          secretIdBoundCidrs: [],
          token: defaultTokenFields(),
          secretIds: new Map(),
        };
        if (has(req.body, 'bind_secret_id')) role.bindSecretId = bool(req.body, 'bind_secret_id');
        if (has(req.body, 'secret_id_ttl')) role.secretIdTtl = duration(req.body, 'secret_id_ttl');
        if (has(req.body, 'secret_id_num_uses')) role.secretIdNumUses = int(req.body, 'secret_id_num_uses');
        if (role.secretIdNumUses < 0) throw badRequest('secret_id_num_uses cannot be negative');
        if (has(req.body, 'secret_id_bound_cidrs'))
          role.secretIdBoundCidrs = strList(req.body, 'secret_id_bound_cidrs');
        if (has(req.body, 'role_id')) role.roleId = str(req.body, 'role_id');
        role.token = parseTokenFields(req.body, role.token);
        if (!role.bindSecretId && role.secretIdBoundCidrs.length === 0 && role.token.boundCidrs.length === 0) {
          throw badRequest('at least one constraint should be enabled on the role');
        }
        roles.set(name, role);
        return undefined;
      }
      case 'role-id': {
        const role = roleOr400(name);
        if (req.operation === 'read') return { data: { role_id: role.roleId } };
        if (!isWrite(req)) throw unsupportedOperation();
        const id = str(req.body, 'role_id');
        if (id === '') throw badRequest('missing role_id');
        role.roleId = id;
        return undefined;
      }
      case 'secret-id': {
        const role = roleOr400(name);
        if (req.operation === 'list') {
          const keys = [...role.secretIds.values()].filter(live).map((s) => s.accessor);
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        }
        return issueSecretId(role, req);
      }
      case 'custom-secret-id': {
        const id = str(req.body, 'secret_id');
        if (id === '') throw badRequest('missing secret_id');
        return issueSecretId(roleOr400(name), req, id);
      }
      case 'secret-id/lookup':
      case 'secret-id/destroy':
      case 'secret-id-accessor/lookup':
      case 'secret-id-accessor/destroy': {
        if (!isWrite(req) && req.operation !== 'delete') throw unsupportedOperation();
        const role = roleOr400(name);
        const byAccessor = sub.startsWith('secret-id-accessor');
        const key = str(req.body, byAccessor ? 'secret_id_accessor' : 'secret_id');
        if (key === '') throw badRequest(byAccessor ? 'missing secret_id_accessor' : 'missing secret_id');
        const found = [...role.secretIds.values()].find((s) => (byAccessor ? s.accessor === key : s.id === key));
        if (sub.endsWith('/destroy')) {
          if (found) role.secretIds.delete(found.id);
          else if (byAccessor) throw badRequest(`failed to find accessor entry for secret_id_accessor: "${key}"`);
          return undefined;
        }
        if (!found || !live(found)) {
          if (byAccessor) throw badRequest(`failed to find accessor entry for secret_id_accessor: "${key}"`);
          return undefined;
        }
        return { data: secretIdInfo(found) };
      }
      default:
        throw unsupportedPath();
    }
  }

  function login(req: BackendRequest): BackendResponse {
    if (!isWrite(req)) throw unsupportedOperation();
    const roleId = str(req.body, 'role_id');
    if (roleId === '') throw badRequest('missing role_id');
    const role = [...roles.values()].find((r) => r.roleId === roleId);
    if (!role) throw badRequest(INVALID);
    let metadata: Record<string, string> = {};
    if (role.bindSecretId) {
      const secretId = str(req.body, 'secret_id');
      if (secretId === '') throw badRequest('missing secret_id');
      const s = role.secretIds.get(secretId);
      if (!s || !live(s)) {
        if (s) role.secretIds.delete(s.id);
        throw badRequest(INVALID);
      }
      const cidrs = [...s.cidrs, ...role.secretIdBoundCidrs];
      if (cidrs.length > 0 && !cidrs.some((c) => cidrContains(c, req.remoteAddress))) {
        throw badRequest(
          `source address "${req.remoteAddress}" unauthorized through CIDR restrictions on the secret ID`,
        );
      }
      if (s.numUses > 0) {
        s.numUses -= 1;
        if (s.numUses === 0) role.secretIds.delete(s.id);
      }
      metadata = { ...s.metadata };
    }
    if (role.token.boundCidrs.length > 0 && !role.token.boundCidrs.some((c) => cidrContains(c, req.remoteAddress))) {
      throw badRequest(`source address "${req.remoteAddress}" unauthorized by CIDR restrictions on the role`);
    }
    metadata.role_name = role.name;
    return {
      login: loginFromTokenFields(role.token, '', metadata, {
        role: role.name,
        roleId: role.roleId,
        policies: role.token.policies,
      }),
    };
  }

  const backend: Backend = {
    unauthenticatedPaths: ['login', 'login/*'],
    async handle(req) {
      const path = req.path.replace(/\/+$/, '');
      if (path === 'login') return login(req);
      if (path === 'role') {
        if (req.operation !== 'list') throw unsupportedOperation();
        if (roles.size === 0) throw notFound();
        return { data: { keys: [...roles.keys()].sort() } };
      }
      if (path.startsWith('role/')) {
        const [name = '', ...rest] = path.slice('role/'.length).split('/');
        return rolePath(req, name, rest.join('/'));
      }
      throw unsupportedPath();
    },
    async renewLogin({ internal }) {
      const role = roles.get(String(internal.role ?? ''));
      if (!role || role.roleId !== internal.roleId) throw badRequest('role no longer exists or its role_id changed');
      if (JSON.stringify(role.token.policies) !== JSON.stringify(internal.policies ?? []))
        throw badRequest('policies have changed, not renewing');
    },
  };
  return backend;
};
