// Import cycles among our own modules (type-only imports included: a cycle of types is still a
// knot a reader has to untie). `npm test` runs scripts/import-cycles.test.ts, which expects none.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const LAYERS = ['app', 'broker', 'main', 'renderer', 'sandbox', 'cli', 'e2e', 'bench', 'hardening', 'scripts'];
const SPECIFIER = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*)['"]/g;

function sources(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(full, found);
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) found.push(full);
  }
  return found;
}

/** Each cycle as the list of its files, relative to `root` (strongly connected components). */
export function findImportCycles(root: string): string[][] {
  const files = LAYERS.flatMap((layer) => {
    try {
      return sources(path.join(root, layer));
    } catch {
      return [];
    }
  });
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps: string[] = [];
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const base = path.resolve(path.dirname(file), match[1]!);
      const hit = ['', '.ts', '.tsx', '/index.ts', '/index.tsx']
        .map((ext) => base + ext)
        .find((candidate) => known.has(candidate));
      if (hit) deps.push(hit);
    }
    graph.set(file, deps);
  }
  // Tarjan's algorithm.
  let counter = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(path.relative(root, w));
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
