// electron-builder.yml is checked the way electron-builder checks it (its own scheme.json with
// ajv, same options), since packaging itself needs downloads this machine cannot make.
// ajv and minimatch are electron-builder's own (transitive) dependencies, used here only.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..');
const schema = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as object;
const config = parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
  linux: { target: string[]; category: string; maintainer?: string };
  mac: { target: string; hardenedRuntime: boolean; entitlements: string; entitlementsInherit: string };
  win: { target: string };
  asarUnpack: string[];
  files: string[];
  extraMetadata: { main: string };
  icon: string;
  directories: { buildResources: string };
};

// The options app-builder-lib's schemaValidator compiles the schema with.
const validate = new Ajv({ allErrors: true, verbose: true, coerceTypes: true, strict: false }).compile(schema);
const problems = (value: unknown) =>
  validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);

describe('electron-builder.yml', () => {
  it('matches electron-builder’s configuration schema', () => {
    expect(problems(structuredClone(config))).toEqual([]);
  });

  it('is checked for real: a misspelt or mistyped option fails the same check', () => {
    expect(problems({ ...structuredClone(config), productNmae: 'Sesame' })).not.toEqual([]);
    expect(
      problems({ ...structuredClone(config), mac: { ...config.mac, hardenedRuntime: { yes: true } } }),
    ).not.toEqual([]);
  });

  it('names the app and its main entry', () => {
    expect(config.appId).toBe('dev.sesame.app');
    expect(config.productName).toBe('Sesame');
    expect(config.extraMetadata.main).toBe('out/main/index.js');
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'package.json']));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe(config.extraMetadata.main);
  });

  it('builds AppImage + deb, a hardened dmg and an nsis installer', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.linux.category).toBe('Development');
    expect(config.linux.maintainer).toMatch(/<.+@.+>/); // deb needs one; package.json has no author
    expect(config.mac.target).toBe('dmg');
    expect(config.mac.hardenedRuntime).toBe(true);
    for (const plist of [config.mac.entitlements, config.mac.entitlementsInherit]) {
      const text = readFileSync(path.join(ROOT, plist), 'utf8');
      expect(text).toContain('com.apple.security.cs.allow-jit');
    }
    expect(config.win.target).toBe('nsis');
  });

  it('flips the Electron fuses that let another program run code in the packaged app', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
  });

  // Where keytar's build puts its binary; checked only where it was built (see broker/keychain).
  const keytarBinary = 'node_modules/keytar/build/Release/keytar.node';
  const unbuilt = existsSync(path.join(ROOT, keytarBinary)) ? '' : ` — skipped: ${keytarBinary} was not built`;
  it.skipIf(unbuilt)(`unpacks keytar’s native module from the asar archive${unbuilt}`, () => {
    expect(config.asarUnpack.some((pattern) => minimatch(keytarBinary, pattern))).toBe(true);
  });

  it('points at icons and resources that exist', () => {
    expect(existsSync(path.join(ROOT, config.icon))).toBe(true);
    expect(existsSync(path.join(ROOT, config.directories.buildResources))).toBe(true);
    // Files the shell loads at run time are inside `files`.
    for (const needed of [
      'out/main/index.js',
      'out/main/preload.cjs',
      'out/renderer/index.html',
      'assets/tray/tray-okTemplate.png',
      'assets/app/icon-256.png',
    ]) {
      expect(
        config.files.some((pattern) => minimatch(needed, pattern)),
        needed,
      ).toBe(true);
    }
  });
});
