// Reading and writing the config file. Every problem is reported as FILE:LINE:COL, the field's
// path and what was expected, never a stack trace. Writes are atomic and keep a backup.
import { copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, stringify } from 'yaml';
import type { z } from 'zod';
import { SesameConfig } from './schema';

export interface ConfigProblem {
  /** `connections[0].protocol` */
  field: string;
  line?: number;
  column?: number;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
    title = 'invalid configuration',
  ) {
    super(
      `${file}: ${title}\n` +
        problems
          .map(
            (p) => `  ${file}${p.line ? `:${p.line}:${p.column}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.message}`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function formatFieldPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>(
    (out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${String(s)}` : String(s)),
    '',
  );
}

/** Parse and validate config text; `file` is used in messages only. */
export function parseConfig(text: string, file: string): SesameConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return {
          field: '',
          message: `YAML syntax: ${e.message.split('\n')[0]}`,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        };
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = SesameConfig.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      const { node, path: found } = nearestNode(doc, issue.path);
      const pos = node ? lineCounter.linePos(node) : undefined;
      return {
        field: formatFieldPath(issue.path),
        message: describeIssue(issue, found.length < issue.path.length),
        ...(pos ? { line: pos.line, column: pos.col } : {}),
      };
    }),
  );
}

function nearestNode(doc: ReturnType<typeof parseDocument>, segments: readonly PropertyKey[]) {
  for (let n = segments.length; n >= 0; n--) {
    const p = segments.slice(0, n) as (string | number)[];
    const node = n === 0 ? doc.contents : doc.getIn(p, true);
    if (isNode(node) && node.range) return { node: node.range[0], path: p };
  }
  return { node: undefined, path: [] };
}

function describeIssue(issue: z.core.$ZodIssue, missing: boolean): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    const options = (issue as { options?: unknown[] }).options;
    return `expected one of ${(options ?? []).map((o) => `'${String(o)}'`).join(', ')}`;
  }
  if (issue.code === 'invalid_value' && issue.values.length > 1)
    return `expected one of ${issue.values.map((v) => `'${String(v)}'`).join(', ')}`;
  if (issue.code === 'invalid_type' && missing) return `is required (${issue.expected} expected)`;
  return issue.message;
}

/** Where the config lives unless a flag or SESAME_CONFIG says otherwise. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.SESAME_CONFIG) return env.SESAME_CONFIG;
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Sesame', 'config.yaml');
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Sesame', 'config.yaml');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'sesame', 'config.yaml');
}

/** The file's text, or a ConfigError naming the file and why it cannot be read. */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      { field: '', message: code === 'ENOENT' ? 'file not found' : `cannot read (${code})` },
    ]);
  }
}

export async function loadConfig(file: string): Promise<SesameConfig> {
  return parseConfig(await readConfigText(file), file);
}

/** Validate, then write atomically (temp file + rename) keeping the previous file as FILE.bak. */
export async function saveConfig(file: string, config: unknown): Promise<SesameConfig> {
  const text = stringify(durationsAsText(config));
  const parsed = parseConfig(text, file);
  await writeConfigText(file, text);
  return parsed;
}

/**
 * A parsed config holds durations in milliseconds, while a bare number in the file means
 * seconds (as in Vault): written back, they say their unit, so a save/load round trip is exact.
 */
function durationsAsText(config: unknown): unknown {
  if (!config || typeof config !== 'object' || !Array.isArray((config as { connections?: unknown }).connections))
    return config;
  const ms = (value: unknown) => (typeof value === 'number' ? `${value}ms` : value);
  const connections = (config as { connections: Record<string, unknown>[] }).connections.map((c) => {
    const credentials = c.credentials as Record<string, unknown> | undefined;
    const key = c.key as Record<string, unknown> | undefined;
    return {
      ...c,
      ...(credentials && 'maxAge' in credentials
        ? { credentials: { ...credentials, maxAge: ms(credentials.maxAge) } }
        : {}),
      ...(key && 'lifetime' in key ? { key: { ...key, lifetime: ms(key.lifetime) } } : {}),
    };
  });
  return { ...(config as object), connections };
}

/**
 * Write already validated config text: a temp file beside FILE (mode 0600), the current FILE
 * copied to FILE.bak, then a rename, so a crash leaves either the old or the new file whole.
 */
export async function writeConfigText(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  try {
    await copyFile(file, `${file}.bak`).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
