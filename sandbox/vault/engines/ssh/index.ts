// The SSH secrets engine in CA mode: config/ca, public_key, roles/:name (key_type "ca") and
// sign/:role returning an OpenSSH certificate. Signing creates no lease.
import { randomBytes } from 'node:crypto';
import type { Backend, BackendFactory, BackendRequest, BackendResponse } from '../../backend';
import { badRequest, notFound, unsupportedOperation, unsupportedPath } from '../../errors';
import { bool, duration, has, int, obj, str, strList, strMap } from '../../fields';
import { SYSTEM_MAX_TTL } from '../../tokens';
import { buildCertificate, parsePublicKeyLine, publicKeyHash, type PublicKey } from './cert';
import { generateCaKey, importCaKey, publicKeyLine, type CaKey } from './keys';

interface SshRole {
  keyType: 'ca';
  allowUserCertificates: boolean;
  allowHostCertificates: boolean;
  allowedUsers: string[];
  defaultUser: string;
  allowedDomains: string[];
  allowSubdomains: boolean;
  ttl: number;
  maxTtl: number;
  defaultExtensions: Record<string, string>;
  allowedExtensions: string[];
  defaultCriticalOptions: Record<string, string>;
  allowedCriticalOptions: string[];
  allowUserKeyIds: boolean;
  keyIdFormat: string;
  algorithmSigner: string;
  notBeforeDuration: number;
  allowEmptyPrincipals: boolean;
  allowedUserKeyLengths: Record<string, number[]>;
}

const isWrite = (req: BackendRequest): boolean => req.operation === 'create' || req.operation === 'update';
const listOf = (body: Record<string, unknown>, field: string): string[] => strList(body, field);

function parseKeyLengths(body: Record<string, unknown>): Record<string, number[]> {
  const raw = obj(body, 'allowed_user_key_lengths') ?? {};
  const out: Record<string, number[]> = {};
  for (const [type, v] of Object.entries(raw)) {
    const list = (Array.isArray(v) ? v : [v]).map(Number);
    if (list.some((n) => !Number.isInteger(n))) throw badRequest(`invalid allowed_user_key_lengths for ${type}`);
    out[type] = list;
  }
  return out;
}

/** Vault's names for a key type in allowed_user_key_lengths. */
function lengthKeys(key: PublicKey): string[] {
  if (key.type === 'ssh-rsa') return ['rsa', 'ssh-rsa'];
  if (key.type === 'ssh-ed25519') return ['ed25519', 'ssh-ed25519'];
  return ['ec', 'ecdsa', key.type];
}

function parseRole(body: Record<string, unknown>, old: SshRole | undefined): SshRole {
  const keyType = has(body, 'key_type') ? str(body, 'key_type') : (old?.keyType ?? '');
  if (keyType === '') throw badRequest('missing key type');
  if (keyType !== 'ca')
    throw badRequest(`key_type "${keyType}" is not supported by this server: only "ca" (certificate authority) roles`);
  const pick = <T>(field: string, read: () => T, fallback: T): T => (has(body, field) ? read() : fallback);
  const role: SshRole = {
    keyType: 'ca',
    allowUserCertificates: pick(
      'allow_user_certificates',
      () => bool(body, 'allow_user_certificates'),
      old?.allowUserCertificates ?? false,
    ),
    allowHostCertificates: pick(
      'allow_host_certificates',
      () => bool(body, 'allow_host_certificates'),
      old?.allowHostCertificates ?? false,
    ),
    allowedUsers: pick('allowed_users', () => listOf(body, 'allowed_users'), old?.allowedUsers ?? []),
    defaultUser: pick('default_user', () => str(body, 'default_user'), old?.defaultUser ?? ''),
    allowedDomains: pick('allowed_domains', () => listOf(body, 'allowed_domains'), old?.allowedDomains ?? []),
    allowSubdomains: pick('allow_subdomains', () => bool(body, 'allow_subdomains'), old?.allowSubdomains ?? false),
    ttl: pick('ttl', () => duration(body, 'ttl'), old?.ttl ?? 0),
    maxTtl: pick('max_ttl', () => duration(body, 'max_ttl'), old?.maxTtl ?? 0),
    defaultExtensions: pick(
      'default_extensions',
      () => strMap(body, 'default_extensions') ?? {},
      old?.defaultExtensions ?? {},
    ),
    allowedExtensions: pick(
      'allowed_extensions',
      () => listOf(body, 'allowed_extensions'),
      old?.allowedExtensions ?? [],
    ),
    defaultCriticalOptions: pick(
      'default_critical_options',
      () => strMap(body, 'default_critical_options') ?? {},
      old?.defaultCriticalOptions ?? {},
    ),
    allowedCriticalOptions: pick(
      'allowed_critical_options',
      () => listOf(body, 'allowed_critical_options'),
      old?.allowedCriticalOptions ?? [],
    ),
    allowUserKeyIds: pick('allow_user_key_ids', () => bool(body, 'allow_user_key_ids'), old?.allowUserKeyIds ?? false),
    keyIdFormat: pick('key_id_format', () => str(body, 'key_id_format'), old?.keyIdFormat ?? ''),
    algorithmSigner: pick('algorithm_signer', () => str(body, 'algorithm_signer'), old?.algorithmSigner ?? 'default'),
    notBeforeDuration: pick(
      'not_before_duration',
      () => duration(body, 'not_before_duration'),
      old?.notBeforeDuration ?? 30,
    ),
    allowEmptyPrincipals: pick(
      'allow_empty_principals',
      () => bool(body, 'allow_empty_principals'),
      old?.allowEmptyPrincipals ?? false,
    ),
    allowedUserKeyLengths: pick(
      'allowed_user_key_lengths',
      () => parseKeyLengths(body),
      old?.allowedUserKeyLengths ?? {},
    ),
  };
  if (!['default', 'ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512'].includes(role.algorithmSigner))
    throw badRequest(`unknown algorithm_signer "${role.algorithmSigner}"`);
  if (!role.allowUserCertificates && !role.allowHostCertificates)
    throw badRequest('Either allow_user_certificates or allow_host_certificates must be set');
  if (role.maxTtl > 0 && role.ttl > role.maxTtl) throw badRequest('ttl cannot be longer than max_ttl');
  return role;
}

function roleData(r: SshRole): Record<string, unknown> {
  return {
    key_type: r.keyType,
    allow_user_certificates: r.allowUserCertificates,
    allow_host_certificates: r.allowHostCertificates,
    allowed_users: r.allowedUsers.join(','),
    default_user: r.defaultUser,
    allowed_domains: r.allowedDomains.join(','),
    allow_subdomains: r.allowSubdomains,
    ttl: r.ttl,
    max_ttl: r.maxTtl,
    default_extensions: r.defaultExtensions,
    allowed_extensions: r.allowedExtensions.join(','),
    default_critical_options: r.defaultCriticalOptions,
    allowed_critical_options: r.allowedCriticalOptions.join(','),
    allow_user_key_ids: r.allowUserKeyIds,
    key_id_format: r.keyIdFormat,
    algorithm_signer: r.algorithmSigner,
    not_before_duration: r.notBeforeDuration,
    allow_empty_principals: r.allowEmptyPrincipals,
    allowed_user_key_lengths: r.allowedUserKeyLengths,
  };
}

/** Requested extensions/options must all be allowed ('*' allows any; an empty list none). */
function checkAllowed(kind: string, requested: Record<string, string>, allowedList: string[]): void {
  if (allowedList.includes('*')) return;
  const bad = Object.keys(requested).filter((k) => !allowedList.includes(k));
  if (bad.length > 0) throw badRequest(`${kind} [${bad.join(' ')}] are not on allowed list`);
}

function principalAllowed(role: SshRole, certType: 'user' | 'host', p: string): boolean {
  if (certType === 'user') return role.allowedUsers.includes('*') || role.allowedUsers.includes(p);
  return role.allowedDomains.some((d) => d === '*' || p === d || (role.allowSubdomains && p.endsWith(`.${d}`)));
}

export const createSshBackend: BackendFactory = (ctx) => {
  let ca: CaKey | undefined;
  const roles = new Map<string, SshRole>();

  function configCa(req: BackendRequest): BackendResponse | undefined {
    if (req.operation === 'read') {
      if (!ca) throw badRequest("keys haven't been configured yet");
      return { data: { public_key: publicKeyLine(ca) } };
    }
    if (req.operation === 'delete') {
      ca = undefined;
      return undefined;
    }
    if (!isWrite(req)) throw unsupportedOperation();
    if (ca) throw badRequest('keys are already configured; delete them before reconfiguring');
    const privateKey = str(req.body, 'private_key');
    const generate = bool(req.body, 'generate_signing_key', privateKey === '');
    if (privateKey !== '' && generate) throw badRequest('only one of generate_signing_key or private_key can be set');
    if (privateKey === '' && !generate) throw badRequest('missing public_key');
    const key =
      privateKey !== ''
        ? importCaKey(privateKey)
        : generateCaKey(str(req.body, 'key_type', 'ssh-ed25519'), int(req.body, 'key_bits'));
    const givenPublic = str(req.body, 'public_key');
    if (givenPublic !== '' && givenPublic.trim().split(/\s+/).slice(0, 2).join(' ') !== publicKeyLine(key))
      throw badRequest('public_key does not match private_key');
    ca = key;
    return generate ? { data: { public_key: publicKeyLine(key) } } : undefined;
  }

  function sign(req: BackendRequest, name: string): BackendResponse {
    if (!isWrite(req)) throw unsupportedOperation();
    const role = roles.get(name);
    if (!role) throw badRequest(`Unknown role: ${name}`);
    if (!ca) throw badRequest("keys haven't been configured yet");
    const line = str(req.body, 'public_key');
    if (line === '') throw badRequest('missing public_key');
    const key = parsePublicKeyLine(line);
    const lengths = role.allowedUserKeyLengths;
    if (Object.keys(lengths).length > 0) {
      const allowedBits = lengthKeys(key)
        .map((k) => lengths[k])
        .find((x) => x !== undefined);
      if (!allowedBits || !allowedBits.includes(key.bits))
        throw badRequest(`key type ${key.type} with length ${key.bits} is not allowed by role`);
    }
    const certTypeText = str(req.body, 'cert_type', 'user');
    if (certTypeText !== 'user' && certTypeText !== 'host')
      throw badRequest('cert_type must be either "user" or "host"');
    const certType = certTypeText;
    if (certType === 'user' && !role.allowUserCertificates)
      throw badRequest(
        'Either cert_type "user" is not allowed by role or the role is not configured for user certificates',
      );
    if (certType === 'host' && !role.allowHostCertificates)
      throw badRequest(
        'Either cert_type "host" is not allowed by role or the role is not configured for host certificates',
      );
    let principals = strList(req.body, 'valid_principals');
    if (principals.length === 0 && certType === 'user' && role.defaultUser !== '') principals = [role.defaultUser];
    if (principals.length === 0 && !role.allowEmptyPrincipals)
      throw badRequest('empty valid principals not allowed by role');
    for (const p of principals)
      if (!principalAllowed(role, certType, p)) throw badRequest(`${p} is not a valid value for valid_principals`);
    const mount = ctx.config();
    const maxTtl = role.maxTtl || mount.maxLeaseTtl || SYSTEM_MAX_TTL;
    const ttl =
      has(req.body, 'ttl') && duration(req.body, 'ttl') > 0
        ? duration(req.body, 'ttl')
        : role.ttl || mount.defaultLeaseTtl || SYSTEM_MAX_TTL;
    if (ttl > maxTtl) throw badRequest(`ttl is larger than maximum allowed (${maxTtl})`);
    const requestedExt = strMap(req.body, 'extensions');
    if (requestedExt && Object.keys(requestedExt).length > 0)
      checkAllowed('extensions', requestedExt, role.allowedExtensions);
    const requestedCrit = strMap(req.body, 'critical_options');
    if (requestedCrit && Object.keys(requestedCrit).length > 0)
      checkAllowed('critical options', requestedCrit, role.allowedCriticalOptions);
    const requestedKeyId = str(req.body, 'key_id');
    if (requestedKeyId !== '' && !role.allowUserKeyIds) throw badRequest('setting key_id is not allowed by role');
    const keyId =
      requestedKeyId ||
      (role.keyIdFormat || 'vault-{{token_display_name}}-{{public_key_hash}}')
        .replaceAll('{{token_display_name}}', req.token?.displayName ?? '')
        .replaceAll('{{role_name}}', name)
        .replaceAll('{{public_key_hash}}', publicKeyHash(key));
    const serial = randomBytes(8).readBigUInt64BE();
    const now = Math.floor(Date.now() / 1000);
    const signed = buildCertificate(
      ca,
      {
        key,
        serial,
        certType,
        keyId,
        principals,
        validAfter: now - role.notBeforeDuration,
        validBefore: now + ttl,
        criticalOptions:
          requestedCrit && Object.keys(requestedCrit).length > 0
            ? requestedCrit
            : certType === 'user'
              ? role.defaultCriticalOptions
              : {},
        extensions:
          requestedExt && Object.keys(requestedExt).length > 0
            ? requestedExt
            : certType === 'user'
              ? role.defaultExtensions
              : {},
      },
      role.algorithmSigner === 'default' ? 'rsa-sha2-256' : role.algorithmSigner,
    );
    return { data: { serial_number: serial.toString(16).padStart(16, '0'), signed_key: `${signed}\n` } };
  }

  const backend: Backend = {
    unauthenticatedPaths: ['public_key'],
    async handle(req) {
      const path = req.path.replace(/\/+$/, '');
      if (path === 'config/ca') return configCa(req);
      if (path === 'public_key') {
        if (req.operation !== 'read') throw unsupportedOperation();
        if (!ca) throw badRequest("keys haven't been configured yet");
        return { raw: { status: 200, contentType: 'text/plain; charset=utf-8', body: `${publicKeyLine(ca)}\n` } };
      }
      if (path === 'roles') {
        if (req.operation !== 'list') throw unsupportedOperation();
        if (roles.size === 0) throw notFound();
        return {
          data: {
            keys: [...roles.keys()].sort(),
            key_info: Object.fromEntries([...roles].map(([n, r]) => [n, { key_type: r.keyType }])),
          },
        };
      }
      if (path.startsWith('roles/')) {
        const name = path.slice('roles/'.length);
        if (req.operation === 'read') {
          const role = roles.get(name);
          if (!role) throw notFound();
          return { data: roleData(role) };
        }
        if (req.operation === 'delete') {
          roles.delete(name);
          return undefined;
        }
        if (!isWrite(req)) throw unsupportedOperation();
        roles.set(name, parseRole(req.body, roles.get(name)));
        return undefined;
      }
      if (path.startsWith('sign/')) return sign(req, path.slice('sign/'.length));
      throw unsupportedPath();
    },
  };
  return backend;
};
