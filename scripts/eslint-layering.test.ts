// The layering rule must catch each kind of violation, and accept what the rules allow.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'layering/imports').map((m) => m.message);
}

describe('layering rule', () => {
  it.each([
    [
      'broker/x/a.ts',
      "import { createAppHost } from '../../app/host';\nexport const x = createAppHost;",
      /broker\/ may not import app\//,
    ],
    [
      'broker/x/a.ts',
      "import { startSandbox } from '../../sandbox';\nexport const x = startSandbox;",
      /broker\/ may not import sandbox\//,
    ],
    ['app/host/a.ts', "import { app } from 'electron';\nexport const x = app;", /Electron is only for the shell/],
    [
      'app/host/a.ts',
      "import { useState } from 'react';\nexport const x = useState;",
      /UI libraries belong to renderer/,
    ],
    ['app/host/a.ts', "import { x } from '../../main/tray';\nexport const y = x;", /app\/ may not import main\//],
    [
      'renderer/src/a.ts',
      "import { createAppHost } from '../../app/host';\nexport const x = createAppHost;",
      /renderer\/ may not import app\//,
    ],
    ['renderer/src/a.ts', "import fs from 'node:fs';\nexport const x = fs;", /Node built-in/],
    [
      'app/api/a.ts',
      "import { createVaultClient } from '../../broker/vault';\nexport const x = createVaultClient;",
      /app\/api\/ may not import broker\//,
    ],
    ['app/api/a.ts', "import net from 'node:net';\nexport const x = net;", /Node built-in/],
    [
      'main/a.ts',
      "import { createVaultClient } from '../broker/vault';\nexport const x = createVaultClient;",
      /main\/ may not import broker\//,
    ],
    [
      'sandbox/a.ts',
      "import { createVaultClient } from '../broker/vault';\nexport const x = createVaultClient;",
      /sandbox\/ may not import broker\//,
    ],
    ['broker/x/a.ts', "export const load = () => import('../../app/config');", /broker\/ may not import app\//],
    [
      'broker/x/a.test.ts',
      "import { startSandbox } from '../../sandbox';\nexport const x = startSandbox;",
      /a unit test may not import sandbox\//,
    ],
    [
      'broker/x/a.ts',
      "import { raw } from '../proxy/testing';\nexport const x = raw;",
      /test helper or fixture; product code may not import it/,
    ],
    [
      'app/host/a.ts',
      "import { createMemoryHost } from '../bridge/testing/memory-host';\nexport const x = createMemoryHost;",
      /test helper or fixture/,
    ],
  ])('%s: refuses %s', async (file, code, message) => {
    const found = await violations(file, code);
    expect(found.length, `expected a violation in ${file}`).toBe(1);
    expect(found[0]).toMatch(message);
  });

  it.each([
    ['app/host/a.ts', "import { createVaultClient } from '../../broker/vault';\nexport const x = createVaultClient;"],
    ['app/bridge/a.ts', "import { parseCommandInput } from '../api';\nexport const x = parseCommandInput;"],
    ['renderer/src/a.ts', "import { commands } from '../../app/api';\nexport const x = commands;"],
    ['renderer/src/a.ts', "import type { AppHost } from '../../app/host';\nexport type X = AppHost;"],
    [
      'main/a.ts',
      "import { app } from 'electron';\nimport { createAppHost } from '../app/host';\nexport const x = [app, createAppHost];",
    ],
    ['broker/x/a.integration.test.ts', "import { startSandbox } from '../../sandbox';\nexport const x = startSandbox;"],
    ['hardening/a.test.ts', "import { startSandbox } from '../sandbox';\nexport const x = startSandbox;"],
    [
      'renderer/src/ui/a.integration.test.ts',
      "import { openUi } from '../../../app/bridge/testing/ui-harness';\nexport const x = openUi;",
    ],
    ['broker/proxy/a.fixture.ts', "import { raw } from './testing';\nexport const x = raw;"],
    [
      'cli/a.ts',
      "import { startSandbox } from '../sandbox';\nimport { createAppHost } from '../app/host';\nexport const x = [startSandbox, createAppHost];",
    ],
  ])('%s: allows %s', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});
