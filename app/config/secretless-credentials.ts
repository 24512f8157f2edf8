// Secretless credentials → a Sesame credential source. In secretless.yml every credential is
// its own value (`username: app` or `password: { from: vault, get: secret/data/db#data.password }`);
// Sesame reads one connection's secrets from one source and keeps fixed, non-secret fields
// (the user name) beside it. These helpers sort one service's credentials into that shape.

/** One problem found in the file: the YAML path of the field at fault and what is wrong. */
export interface ImportProblem {
  path: (string | number)[];
  message: string;
}

export class ImportProblems extends Error {
  constructor(readonly problems: ImportProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'ImportProblems';
  }
}

export type SecretlessValue =
  { provider: 'literal'; value: string } | { provider: 'env' | 'file' | 'vault'; id: string };

const PROVIDER_ALIASES: Record<string, 'literal' | 'env' | 'file' | 'vault'> = {
  literal: 'literal',
  env: 'env',
  environment: 'env',
  file: 'file',
  vault: 'vault',
};

/** Read one credential entry: a plain scalar is a literal; a map names `from` and `get`. */
export function readCredential(raw: unknown, path: (string | number)[]): SecretlessValue {
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean')
    return { provider: 'literal', value: String(raw) };
  if (raw === null || raw === undefined) return { provider: 'literal', value: '' };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ImportProblems([{ path, message: 'expected a value or a map with from and get' }]);
  }
  const { from, get, ...rest } = raw as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0)
    throw new ImportProblems([
      {
        path,
        message: `unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} (expected from and get)`,
      },
    ]);
  if (typeof from !== 'string')
    throw new ImportProblems([
      { path: [...path, 'from'], message: 'expected a provider name (vault, env, file or literal)' },
    ]);
  const provider = PROVIDER_ALIASES[from];
  if (!provider) {
    throw new ImportProblems([
      {
        path: [...path, 'from'],
        message: `the '${from}' provider is not supported: Sesame imports vault, env, file and literal`,
      },
    ]);
  }
  if (typeof get !== 'string' && typeof get !== 'number')
    throw new ImportProblems([{ path: [...path, 'get'], message: `expected the id to get from ${from}` }]);
  if (provider === 'literal') return { provider, value: String(get) };
  if (String(get).trim() === '')
    throw new ImportProblems([{ path: [...path, 'get'], message: `the ${from} id is empty` }]);
  return { provider, id: String(get) };
}

/** A non-secret setting (host, port, sslmode…): only a literal can be written into the config. */
export function literalSetting(value: SecretlessValue | undefined, path: (string | number)[]): string | undefined {
  if (!value) return undefined;
  if (value.provider === 'literal') return value.value === '' ? undefined : value.value;
  throw new ImportProblems([
    {
      path,
      message: `comes from ${value.provider} (${value.id}); Sesame keeps this setting in its config file: write the value itself`,
    },
  ]);
}

/** A Vault id `path#field.path` as Sesame's vault-kv source sees it. */
export interface VaultKvReference {
  /** `secret/orders-db` (KV v2: without the `data/` segment). */
  path: string;
  version: 1 | 2;
  key: string;
}

/** `secret/data/db#data.password` → KV v2 `secret/db` key `password`; `kv/db#password` → KV v1. */
export function parseVaultId(id: string, path: (string | number)[]): VaultKvReference {
  const [rawPath = '', fieldPath = 'value'] = id.split('#', 2);
  const segments = rawPath
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean);
  if (segments.length < 2)
    throw new ImportProblems([
      { path, message: `the Vault id '${id}' needs a mount and a secret path (mount/path#field)` },
    ]);
  if (segments[1] === 'creds' || segments.includes('creds')) {
    throw new ImportProblems([
      {
        path,
        message: `'${rawPath}' looks like a dynamic secret (…/creds/…): reading each field separately would mix two leases; the import takes KV secrets only`,
      },
    ]);
  }
  const v2 = segments[1] === 'data' && fieldPath.startsWith('data.');
  const key = v2 ? fieldPath.slice('data.'.length) : fieldPath;
  if (key === '' || key.includes('.')) {
    throw new ImportProblems([
      { path, message: `the field '${fieldPath}' in '${id}' is nested; Sesame reads top-level keys of a KV secret` },
    ]);
  }
  const secretPath = v2 ? [segments[0], ...segments.slice(2)].join('/') : segments.join('/');
  if (v2 && segments.length < 3)
    throw new ImportProblems([{ path, message: `the Vault id '${id}' names no secret after data/` }]);
  return { path: secretPath, version: v2 ? 2 : 1, key };
}

/** Fields Sesame treats as secrets: never fixed in the file beside a fetched source. */
const SECRET_FIELDS = new Set(['password', 'private_key']);

/**
 * Sesame's `credentials` for one service from its secret-bearing entries, keyed by Sesame field
 * name (`username`, `password`, `private_key`). `where` maps each field to its YAML path.
 */
export function credentialSource(
  entries: Map<string, SecretlessValue>,
  where: Map<string, (string | number)[]>,
  notes: string[],
  service: string,
): Record<string, unknown> {
  const fetched = [...entries].filter(
    (e): e is [string, Extract<SecretlessValue, { id: string }>] => e[1].provider !== 'literal',
  );
  const fixed = Object.fromEntries(
    [...entries].filter(([, v]) => v.provider === 'literal').map(([k, v]) => [k, (v as { value: string }).value]),
  );
  const providers = [...new Set(fetched.map(([, v]) => v.provider))];
  const at = (field: string) => where.get(field) ?? [];

  if (providers.length === 0) {
    notes.push(
      `${service}: its credentials are literal values in the file (Sesame's 'literal' source is meant for tests); move them to Vault`,
    );
    return { from: 'literal', values: fixed };
  }
  if (providers.length > 1) {
    const list = fetched.map(([field, v]) => `${field} from ${v.provider}`).join(', ');
    throw new ImportProblems([
      {
        path: at(fetched[0]![0]).slice(0, -1),
        message: `credentials come from several providers (${list}); Sesame reads a connection's credentials from one source: put them in one Vault secret`,
      },
    ]);
  }
  for (const field of Object.keys(fixed)) {
    if (SECRET_FIELDS.has(field)) {
      throw new ImportProblems([
        {
          path: at(field),
          message: `is a literal while other credentials come from ${providers[0]}; Sesame will not keep a secret in the file beside them`,
        },
      ]);
    }
  }
  const values = Object.keys(fixed).length > 0 ? { values: fixed } : {};
  const provider = providers[0]!;
  if (provider === 'env' || provider === 'file') {
    return { from: provider, fields: Object.fromEntries(fetched.map(([field, v]) => [field, v.id])), ...values };
  }

  const references = fetched.map(([field, v]) => [field, parseVaultId(v.id, [...at(field), 'get'])] as const);
  const paths = [...new Set(references.map(([, r]) => `${r.path} (KV v${r.version})`))];
  if (paths.length > 1) {
    throw new ImportProblems([
      {
        path: at(references[0]![0]).slice(0, -1),
        message: `credentials are read from several Vault secrets (${paths.join(', ')}); Sesame reads one secret per connection`,
      },
    ]);
  }
  const [, first] = references[0]!;
  if (first.version === 1)
    notes.push(`${service}: ${first.path} is read as a KV version 1 secret (its id has no data/ segment)`);
  const renamed = Object.fromEntries(
    references.filter(([field, r]) => r.key !== field).map(([field, r]) => [field, r.key]),
  );
  return {
    from: 'vault-kv',
    path: first.path,
    ...(first.version === 1 ? { version: 1 } : {}),
    ...(Object.keys(renamed).length > 0 ? { fields: renamed } : {}),
    ...values,
  };
}
