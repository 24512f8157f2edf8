// Builds the Electron shell into out/main: index.js (the main process, ESM, with app/ and
// broker/ bundled and npm packages left to node_modules) and preload.cjs (one self-contained
// CommonJS file, as a sandboxed preload must be: it may require nothing but 'electron').
// Run: `npx tsx main/build.ts` (package.json's build:main).
import path from 'node:path';
import { build, type InlineConfig } from 'vite';

const HERE = import.meta.dirname;
export const SHELL_OUT_DIR = path.resolve(HERE, '../out/main');

export function shellBuildConfigs(outDir = SHELL_OUT_DIR): InlineConfig[] {
  const common = { configFile: false, root: HERE, publicDir: false, logLevel: 'warn', clearScreen: false } as const;
  return [
    {
      ...common,
      build: {
        outDir,
        emptyOutDir: true,
        ssr: path.join(HERE, 'index.ts'),
        target: 'node22',
        minify: false,
        sourcemap: true,
        rolldownOptions: { output: { format: 'es', entryFileNames: 'index.js' } },
      },
    },
    {
      ...common,
      // Everything but electron goes into the one file.
      ssr: { noExternal: true },
      build: {
        outDir,
        emptyOutDir: false,
        ssr: path.join(HERE, 'preload.ts'),
        target: 'chrome140',
        minify: false,
        sourcemap: false,
        rolldownOptions: { external: ['electron'], output: { format: 'cjs', entryFileNames: 'preload.cjs' } },
      },
    },
  ];
}

export async function buildShell(outDir = SHELL_OUT_DIR): Promise<void> {
  for (const config of shellBuildConfigs(outDir)) await build(config);
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  await buildShell();
  console.log(`built the Electron shell into ${path.relative(process.cwd(), SHELL_OUT_DIR)}/`);
}
