// The layering rule of docs/ARCHITECTURE.md as an ESLint rule: code is sorted by the runtime it
// needs, and imports only go downward. One table says who may import whom; the rule reports
// the file, the import and the rule it breaks.
import path from 'node:path';
import { builtinModules } from 'node:module';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Which project folders each layer may import (besides itself). */
export const LAYERS = {
  broker: [],
  app: ['broker'],
  main: ['app'],
  renderer: ['app/api'],
  sandbox: [],
  cli: ['app', 'broker', 'sandbox', 'main'],
  e2e: ['app', 'broker', 'sandbox', 'cli'],
  hardening: ['app', 'broker', 'sandbox', 'cli'],
  bench: ['app', 'broker', 'sandbox', 'cli'],
  scripts: [],
};

/** Packages only one layer may import. */
const OWNED_PACKAGES = [
  { pattern: /^electron(\/|$)/, owner: ['main'], why: 'Electron is only for the shell in main/' },
  {
    pattern: /^(react|react-dom|zustand|@xterm\/|@tanstack\/)/,
    owner: ['renderer'],
    why: 'UI libraries belong to renderer/',
  },
];

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The layer a file belongs to: 'app/api' is its own layer, the contract the renderer shares. */
export function layerOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep);
  if (rel[0] === 'app' && rel[1] === 'api') return 'app/api';
  return rel[0] in LAYERS ? rel[0] : undefined;
}

const isTest = (file) => /\.(test|e2e)\.tsx?$/.test(file) || ['e2e', 'hardening'].includes(layerOf(file));
/** Integration tests start real servers (sandbox/, processes, Chromium); unit tests may not. */
const isIntegrationTest = (file) =>
  /\.integration\.test\.tsx?$/.test(file) || ['e2e', 'hardening'].includes(layerOf(file));
/** Test helpers (`testing.ts`, a `testing/` folder) and child-process fixtures (`*.fixture.ts`). */
export const isTestingModule = (file) => {
  const rel = path.relative(ROOT, file).split(path.sep);
  const base = rel.at(-1) ?? '';
  return rel.includes('testing') || /^testing\.(ts|tsx|mjs)$/.test(base) || /\.fixture\.tsx?$/.test(base);
};

function allowed(fromLayer, toLayer, { typeOnly, test }) {
  if (fromLayer === toLayer) return true;
  if (fromLayer === 'app/api') return false; // the contract stands alone (zod only)
  if (test && toLayer === 'sandbox') return true; // tests may start real servers (integration only: checked below)
  const list = LAYERS[fromLayer === 'app/api' ? 'app' : fromLayer] ?? [];
  if (toLayer === 'app/api') return fromLayer === 'app' || list.includes('app') || list.includes('app/api');
  if (list.includes(toLayer)) return true;
  if (fromLayer === 'renderer' && toLayer === 'app' && typeOnly) return true;
  return false;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the layering rules of docs/ARCHITECTURE.md' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const fromLayer = layerOf(file);
    if (!fromLayer) return {};
    const test = isTest(file);
    const helper = isTestingModule(file);

    function check(node, source, typeOnly) {
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const target = path.resolve(path.dirname(file), source);
        const toLayer = layerOf(target);
        if (!toLayer) return;
        const targetIsHelper = isTestingModule(target);
        if (targetIsHelper && !test && !helper) {
          context.report({ node, message: `'${source}' is a test helper or fixture; product code may not import it.` });
          return;
        }
        if (test && !isIntegrationTest(file) && toLayer === 'sandbox' && fromLayer !== 'sandbox') {
          context.report({
            node,
            message: `a unit test may not import sandbox/ ('${source}'): it starts real servers; name the file *.integration.test.ts.`,
          });
          return;
        }
        // Tests may use any layer's test helpers (the renderer's UI tests run on app/bridge/testing).
        if (test && targetIsHelper) return;
        if (!allowed(fromLayer, toLayer, { typeOnly, test })) {
          context.report({
            node,
            message: `${fromLayer}/ may not import ${toLayer}/ ('${source}'): imports only go downward (docs/ARCHITECTURE.md).`,
          });
        }
        return;
      }
      for (const { pattern, owner, why } of OWNED_PACKAGES) {
        if (pattern.test(source) && !owner.includes(fromLayer) && !typeOnly) {
          context.report({ node, message: `'${source}' may not be imported in ${fromLayer}/: ${why}.` });
        }
      }
      if ((fromLayer === 'renderer' || fromLayer === 'app/api') && NODE_BUILTINS.has(source) && !test) {
        context.report({ node, message: `'${source}' is a Node built-in; ${fromLayer}/ runs in the browser.` });
      }
    }

    return {
      ImportDeclaration(node) {
        const typeOnly =
          node.importKind === 'type' ||
          (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
        check(node, node.source.value, typeOnly);
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, node.source.value, node.exportKind === 'type');
      },
      ExportAllDeclaration(node) {
        check(node, node.source.value, node.exportKind === 'type');
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node, node.source.value, false);
      },
    };
  },
};

export default { rules: { imports: rule } };
