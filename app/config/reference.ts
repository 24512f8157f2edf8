// docs/CONFIG.md, generated from the schema (every field's `.describe()`), so the reference
// cannot drift from what Sesame accepts. `npm run docs:config` writes it; a test fails while the
// committed file differs from what this renders.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SesameConfig } from './schema';

type Json = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, Json>;
  required?: string[];
  items?: Json;
  additionalProperties?: Json | boolean;
  oneOf?: Json[];
  anyOf?: Json[];
};

interface Row {
  field: string;
  type: string;
  required: string;
  description: string;
}

const code = (value: unknown) => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(schema: Json): string {
  if (schema.format === 'duration') return 'duration (`30s`, `5m`, `1h30m`, or seconds)';
  if (schema.const !== undefined) return code(schema.const);
  if (schema.enum) return schema.enum.map(code).join(' | ');
  const variants = schema.anyOf ?? (schema.oneOf && !discriminatorOf(schema.oneOf) ? schema.oneOf : undefined);
  if (variants) return variants.map(typeOf).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  if (type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object')
    return `map of name → ${typeOf(schema.additionalProperties)}`;
  if (type === 'integer' && schema.minimum !== undefined && schema.maximum !== undefined)
    return `integer ${schema.minimum}–${schema.maximum}`;
  if (type === 'string' && schema.format === 'uri') return 'URL';
  return type ?? 'value';
}

function discriminatorOf(variants: Json[]): string | undefined {
  const first = variants[0]?.properties ?? {};
  return Object.keys(first).find((key) => variants.every((v) => v.properties?.[key]?.const !== undefined));
}

function requirement(schema: Json, name: string, parent: Json): string {
  if (schema.default !== undefined) return `default ${code(schema.default)}`;
  return parent.required?.includes(name) ? 'required' : 'optional';
}

/** A union's own section, by path: rendered once, after the table that first names it. */
type Sections = Map<string, string>;

/** Rows for an object's fields; nested objects flatten into dotted names, unions get their own sections. */
function rows(schema: Json, prefix: string, sections: Sections): Row[] {
  const out: Row[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    const union = field.oneOf && discriminatorOf(field.oneOf);
    if (union) {
      out.push({
        field: path,
        type: `one of (by \`${union}\`), see below`,
        required: requirement(field, name, schema),
        description: field.description ?? '',
      });
      if (!sections.has(path)) sections.set(path, '');
      sections.set(path, unionSection(path, field, union, sections));
      continue;
    }
    const isObject = field.type === 'object' && field.properties;
    const isObjectList = field.type === 'array' && field.items?.oneOf && discriminatorOf(field.items.oneOf);
    if (isObjectList) {
      out.push({
        field: path,
        type: `list, each one of (by \`${discriminatorOf(field.items!.oneOf!)}\`), see below`,
        required: requirement(field, name, schema),
        description: field.description ?? '',
      });
      sections.set(`${path}[]`, '');
      sections.set(
        `${path}[]`,
        unionSection(`${path}[]`, field.items!, discriminatorOf(field.items!.oneOf!)!, sections),
      );
      continue;
    }
    out.push({
      field: path,
      type: isObject ? 'object' : typeOf(field),
      required: requirement(field, name, schema),
      description: field.description ?? '',
    });
    if (isObject) out.push(...rows(field, `${path}.`, sections));
  }
  return out;
}

function table(list: Row[]): string {
  return [
    '| Field | Type | | Description |',
    '| --- | --- | --- | --- |',
    ...list.map((r) => `| \`${r.field}\` | ${cell(r.type)} | ${cell(r.required)} | ${cell(r.description)} |`),
  ].join('\n');
}

function unionSection(path: string, union: Json, discriminator: string, sections: Sections): string {
  const parts = [`### \`${path}\` — one of, by \`${discriminator}\``, '', union.description ?? ''];
  for (const variant of union.oneOf ?? []) {
    const value = variant.properties?.[discriminator]?.const;
    parts.push(
      '',
      `#### \`${discriminator}: ${String(value)}\` — ${variant.description ?? ''}`,
      '',
      variant.properties?.[discriminator]?.description ?? '',
      '',
    );
    const fields = rows(
      {
        ...variant,
        properties: Object.fromEntries(
          Object.entries(variant.properties ?? {}).filter(([key]) => key !== discriminator),
        ),
      },
      `${path}.`,
      sections,
    );
    parts.push(fields.length ? table(fields) : '_No other fields._');
  }
  return parts.join('\n');
}

/** The whole reference as markdown. */
export function renderConfigReference(): string {
  const root = z.toJSONSchema(SesameConfig, { io: 'input', unrepresentable: 'any' }) as Json;
  const out = [
    '# Sesame configuration reference',
    '',
    "<!-- Generated from app/config/schema.ts by `npm run docs:config`; edit the schema's descriptions, not this file. -->",
    '',
    'One YAML file: `~/.config/sesame/config.yaml` (macOS: `~/Library/Application Support/Sesame`, Windows: `%APPDATA%\\Sesame`), or wherever `--config` / `SESAME_CONFIG` says. Every problem is reported as `FILE:LINE:COL: field.path: expectation`. Paths in the file may start with `~/` or be relative to the file.',
  ];
  for (const [name, section] of Object.entries(root.properties ?? {})) {
    const sections: Sections = new Map();
    out.push('', `## \`${name}\``, '', section.description ?? '', '');
    const own = rows({ properties: { [name]: section }, required: root.required ?? [] }, '', sections);
    out.push(table(own.filter((row) => row.field !== name || own.length === 1)));
    for (const extra of sections.values()) out.push('', extra);
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/** Fields whose description is missing: every field must say what it is for. */
export function undescribedFields(): string[] {
  const root = z.toJSONSchema(SesameConfig, { io: 'input', unrepresentable: 'any' }) as Json;
  const missing: string[] = [];
  const walk = (schema: Json, path: string) => {
    for (const [name, field] of Object.entries(schema.properties ?? {})) {
      const here = path ? `${path}.${name}` : name;
      if (!field.description) missing.push(here);
      for (const variant of field.oneOf ?? field.items?.oneOf ?? [])
        walk(
          variant,
          `${here}[${String(Object.values(variant.properties ?? {}).find((p) => p.const !== undefined)?.const)}]`,
        );
      if (field.properties) walk(field, here);
    }
  };
  walk(root, '');
  return missing;
}

// `npm run docs:config` (`tsx app/config/reference.ts`): write docs/CONFIG.md.
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const file = path.resolve(import.meta.dirname, '..', '..', 'docs', 'CONFIG.md');
  writeFileSync(file, renderConfigReference());
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
