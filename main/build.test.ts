// The shell's build output is what Electron loads: a self-contained CommonJS preload (sandboxed
// preloads can require nothing but 'electron') and an ESM main that leaves electron and npm
// packages to node_modules.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShell } from './build';

let outDir = '';
beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'sesame-shell-build-'));
  await buildShell(outDir);
});
afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const requires = (code: string) => [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
const imports = (code: string) =>
  [...code.matchAll(/^\s*import\s+(?:[^'"]+?\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!);

describe('shell build', () => {
  it('writes a preload that is one CommonJS file needing only electron', () => {
    const preload = readFileSync(path.join(outDir, 'preload.cjs'), 'utf8');
    expect(new Set(requires(preload))).toEqual(new Set(['electron']));
    expect(preload).not.toMatch(/^\s*import\s/m);
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).toContain('sesame:call');
    expect(preload).toContain('sesame:event');
    // Types only from app/api: one value import would pull zod and the whole contract in.
    expect(preload.length).toBeLessThan(8_000);
  });

  it('writes an ESM main process entry that imports only packages and Node built-ins', () => {
    const entry = path.join(outDir, 'index.js');
    expect(existsSync(entry)).toBe(true);
    const specifiers = imports(readFileSync(entry, 'utf8'));
    expect(specifiers).toContain('electron');
    // Our own code (app/, broker/, main/) is bundled in: no relative imports remain.
    expect(specifiers.filter((s) => s.startsWith('.'))).toEqual([]);
  });
});
