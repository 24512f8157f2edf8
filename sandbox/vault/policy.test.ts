// The policy engine on its own: HCL and JSON parsing, globs, `+` segments, priority, deny.
import { describe, expect, it } from 'vitest';
import { VaultError } from './errors';
import { createAcl, DEFAULT_POLICY, higherPriority, parsePolicy } from './policy';

const acl = (...texts: string[]) => createAcl(texts.map((t, i) => parsePolicy(`p${i}`, t)));

describe('policy parsing', () => {
  it('reads HCL with comments, several blocks and a heredoc-free body', () => {
    const p = parsePolicy(
      'app',
      `# comment
      // another
      /* block */
      path "secret/data/app/*" {
        capabilities = ["read", "list"]
      }
      path "secret/metadata/app/*" { capabilities = ["list"] }`,
    );
    expect(p.rules.map((r) => r.path)).toEqual(['secret/data/app/*', 'secret/metadata/app/*']);
  });

  it('reads JSON policies', () => {
    const p = parsePolicy('j', JSON.stringify({ path: { 'kv/*': { capabilities: ['read'] } } }));
    expect(p.rules).toHaveLength(1);
    expect([...(p.rules[0]?.capabilities ?? [])]).toEqual(['read']);
  });

  it('accepts the legacy policy = "write" form', () => {
    expect(acl('path "a/*" { policy = "write" }').capabilities('a/b')).toEqual([
      'create',
      'delete',
      'list',
      'read',
      'update',
    ]);
  });

  it('parses the built-in default policy', () => {
    expect(parsePolicy('default', DEFAULT_POLICY).rules.length).toBeGreaterThan(5);
  });

  it.each([
    ['unterminated string', 'path "a {'],
    ['bad capability', 'path "a" { capabilities = ["fly"] }'],
    ['unknown key', 'path "a" { colour = "red" }'],
    ['unknown top-level', 'other "a" { }'],
    ['bad JSON', '{"path": '],
  ])('rejects %s with a 400 "failed to parse policy"', (_name, text) => {
    try {
      parsePolicy('x', text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VaultError);
      expect((e as VaultError).status).toBe(400);
      expect((e as VaultError).errors[0]).toMatch(/^failed to parse policy/);
    }
  });
});

describe('ACL evaluation', () => {
  it('exact paths match exactly; * is a prefix glob', () => {
    const a = acl(
      'path "secret/data/exact" { capabilities = ["read"] }\npath "secret/data/pre*" { capabilities = ["update"] }',
    );
    expect(a.allows('secret/data/exact', 'read')).toBe(true);
    expect(a.allows('secret/data/exact/more', 'read')).toBe(false);
    expect(a.allows('secret/data/prefix/deep/path', 'update')).toBe(true);
    expect(a.allows('secret/data/other', 'read')).toBe(false);
  });

  it('+ matches exactly one segment', () => {
    const a = acl('path "secret/data/+/config" { capabilities = ["read"] }');
    expect(a.allows('secret/data/app/config', 'read')).toBe(true);
    expect(a.allows('secret/data/app/sub/config', 'read')).toBe(false);
    expect(a.allows('secret/data/config', 'read')).toBe(false);
  });

  it('+ combined with a trailing *', () => {
    const a = acl('path "secret/+/team/*" { capabilities = ["list"] }');
    expect(a.allows('secret/metadata/team/x/y', 'list')).toBe(true);
    expect(a.allows('secret/metadata/other/x', 'list')).toBe(false);
  });

  it('the same path in two policies: capabilities merge and deny wins', () => {
    const merged = acl('path "kv/a" { capabilities = ["read"] }', 'path "kv/a" { capabilities = ["update"] }');
    expect(merged.capabilities('kv/a')).toEqual(['read', 'update']);
    const denied = acl('path "kv/a" { capabilities = ["read"] }', 'path "kv/a" { capabilities = ["deny"] }');
    expect(denied.capabilities('kv/a')).toEqual(['deny']);
    expect(denied.allows('kv/a', 'read')).toBe(false);
  });

  it('a deny glob removes access under it', () => {
    const a = acl('path "kv/*" { capabilities = ["read"] }\npath "kv/private/*" { capabilities = ["deny"] }');
    expect(a.allows('kv/public/x', 'read')).toBe(true);
    expect(a.allows('kv/private/x', 'read')).toBe(false);
  });

  it('the most specific rule decides (Vault priority matching)', () => {
    expect(higherPriority('a/b/c', 'a/b/*')).toBe(true); // later wildcard
    expect(higherPriority('a/b/c*', 'a/b/+')).toBe(true); // first wildcard later
    expect(higherPriority('a/+/c', 'a/+/*')).toBe(true); // no trailing glob wins
    expect(higherPriority('a/bb*', 'a/b*')).toBe(true); // longer
    const a = acl('path "kv/*" { capabilities = ["read"] }\npath "kv/app/*" { capabilities = ["list"] }');
    expect(a.capabilities('kv/app/x')).toEqual(['list']);
  });

  it('no match → deny; root → everything', () => {
    expect(acl().capabilities('anything')).toEqual(['deny']);
    const root = createAcl([{ name: 'root', text: '', rules: [] }]);
    expect(root.capabilities('anything')).toEqual(['root']);
    expect(root.allows('sys/seal', 'sudo')).toBe(true);
  });
});
