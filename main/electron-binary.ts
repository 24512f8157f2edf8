// Is there an Electron binary to run? Answered from the files the `electron` package leaves
// behind (path.txt + dist/), exactly as its index.js would resolve them — but without
// requiring it: `require('electron')` starts a download when the binary is missing, and on a
// machine without github.com that hangs or fails. The CLI uses this to choose between the
// Electron window and browser mode, and prints the reason when it falls back.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type ElectronBinary = { path: string } | { missing: string };

export interface FindElectronOptions {
  /** Resolve the `electron` package as a module in this directory or file would (default: here). */
  from?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

const FIX = '`npx install-electron` downloads it where github.com is reachable';

export function findElectronBinary(options: FindElectronOptions = {}): ElectronBinary {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const from = options.from ? path.join(path.resolve(options.from), 'noop.js') : import.meta.url;

  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(from).resolve('electron/package.json'));
  } catch {
    return { missing: "the 'electron' package is not installed (run npm install)" };
  }

  // Mirrors node_modules/electron/index.js: path.txt names the executable inside dist/, and
  // ELECTRON_OVERRIDE_DIST_PATH replaces dist/ (and makes path.txt optional).
  const pathFile = path.join(packageDir, 'path.txt');
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  let executable = '';
  if (existsSync(pathFile)) {
    executable = readFileSync(pathFile, 'utf8').trim();
    if (!executable) return { missing: `${pathFile} is empty, so Electron's install is broken; ${FIX}` };
  } else if (!override) {
    return { missing: `the Electron binary was never downloaded (${pathFile} is missing); ${FIX}` };
  }

  const binary = override ? path.join(override, executable || 'electron') : path.join(packageDir, 'dist', executable);
  if (!existsSync(binary)) {
    const where = override ? 'ELECTRON_OVERRIDE_DIST_PATH' : `${pathFile}`;
    return { missing: `the Electron binary ${binary} (named by ${where}) does not exist; ${FIX}` };
  }
  // On macOS the named file is inside the .app bundle; elsewhere it must be a runnable file.
  if (!statSync(binary).isFile()) return { missing: `the Electron binary ${binary} is not a file; ${FIX}` };
  if (platform !== 'win32') {
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      return { missing: `the Electron binary ${binary} is not executable; ${FIX}` };
    }
  }
  return { path: binary };
}
