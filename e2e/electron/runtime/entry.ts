// What the stand-in Electron executable runs: `electron APP_DIR [args…]` loads APP_DIR's
// package.json `main` as Electron does — process.argv is [executable, APP_DIR, args…] — and
// the app becomes ready once that module has run its first turn.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { becomeReady, loadApp } from './app';
import { startControl } from './control';
import { onShutdown } from './lifecycle';

const [appDir, ...args] = process.argv.slice(2);
if (!appDir) {
  process.stderr.write('usage: electron APP_DIR [args…]\n');
  process.exit(2);
}
const directory = path.resolve(appDir);
process.argv = [process.argv[0]!, directory, ...args];
const main = loadApp(directory);
startControl();
// Electron's main process ends when the app quits, not when the event loop runs dry.
const keepAlive = setInterval(() => {}, 1 << 30);
onShutdown(() => clearInterval(keepAlive));
await import(pathToFileURL(main).href);
setImmediate(becomeReady);
