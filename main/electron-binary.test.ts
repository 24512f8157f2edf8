import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findElectronBinary } from './electron-binary';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A project directory with an `electron` package laid out as its installer leaves it. */
function project(layout: { pathTxt?: string; binary?: string; executable?: boolean }): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sesame-electron-'));
  temps.push(root);
  const pkg = path.join(root, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'electron', version: '45.5.0', main: 'index.js' }),
  );
  if (layout.pathTxt !== undefined) writeFileSync(path.join(pkg, 'path.txt'), layout.pathTxt);
  if (layout.binary) {
    const file = path.join(pkg, 'dist', layout.binary);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, layout.executable === false ? 0o644 : 0o755);
  }
  return root;
}

describe('findElectronBinary', () => {
  it('reports this machine’s missing binary with the reason and the fix, without downloading', () => {
    const result = findElectronBinary({ env: {} });
    expect(result).toHaveProperty('missing');
    const reason = (result as { missing: string }).missing;
    expect(reason).toMatch(/never downloaded .*node_modules[\\/]electron[\\/]path\.txt is missing/);
    expect(reason).toContain('npx install-electron');
    expect(reason).not.toContain('\n');
  });

  it('finds an installed binary the way electron’s own index.js resolves it', () => {
    const root = project({ pathTxt: 'electron', binary: 'electron' });
    expect(findElectronBinary({ from: root, env: {}, platform: 'linux' })).toEqual({
      path: path.join(root, 'node_modules', 'electron', 'dist', 'electron'),
    });
  });

  it('reports a path.txt that names a binary that is not there', () => {
    const root = project({ pathTxt: 'electron' });
    const result = findElectronBinary({ from: root, env: {}, platform: 'linux' });
    expect((result as { missing: string }).missing).toMatch(/dist[\\/]electron .*does not exist/);
  });

  it('reports a binary that cannot be executed', () => {
    const root = project({ pathTxt: 'electron', binary: 'electron', executable: false });
    const result = findElectronBinary({ from: root, env: {}, platform: 'linux' });
    expect((result as { missing: string }).missing).toMatch(/is not executable/);
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH like electron does', () => {
    const root = project({});
    const dist = path.join(root, 'custom-dist');
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'electron'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findElectronBinary({ from: root, env: { ELECTRON_OVERRIDE_DIST_PATH: dist }, platform: 'linux' })).toEqual({
      path: path.join(dist, 'electron'),
    });
  });

  it('reports a project without the electron package', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sesame-electron-'));
    temps.push(root);
    expect(findElectronBinary({ from: root, env: {} })).toEqual({
      missing: "the 'electron' package is not installed (run npm install)",
    });
  });
});
