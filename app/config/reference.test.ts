// docs/CONFIG.md is generated from the schema; these fail when it is stale or a field is undocumented.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigReference, undescribedFields } from './reference';

describe('the config reference', () => {
  it('describes every field of the schema', () => {
    expect(undescribedFields()).toEqual([]);
  });

  it('docs/CONFIG.md is what the schema renders (run `npm run docs:config` after changing the schema)', () => {
    const committed = readFileSync(path.resolve(import.meta.dirname, '../../docs/CONFIG.md'), 'utf8');
    expect(committed === renderConfigReference(), 'docs/CONFIG.md is stale: run `npm run docs:config`').toBe(true);
  });

  it('names every protocol, credential source and login method', () => {
    const text = renderConfigReference();
    for (const value of [
      'postgres',
      'mysql',
      'ssh',
      'ssh-agent',
      'vault-kv',
      'vault-dynamic',
      'vault-ssh-sign',
      'env',
      'file',
      'literal',
      'token',
      'userpass',
      'approle',
      'jwt',
      'oidc',
    ]) {
      expect(text).toMatch(new RegExp(`: ${value}\` —`));
    }
  });
});
