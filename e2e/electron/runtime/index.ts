// The `electron` module of the stand-in runtime (e2e/electron/README.md): the main-process
// APIs Sesame's shell uses, backed by Debian's Chromium for the windows and by plain records
// for the desktop surfaces. `import … from 'electron'` resolves here under the stand-in.
export { app } from './app';
export { BrowserWindow } from './browser-window';
export {
  clipboard,
  dialog,
  Menu,
  MenuItem,
  nativeImage,
  nativeTheme,
  Notification,
  safeStorage,
  shell,
  Tray,
} from './desktop-apis';
export { ipcMain, protocol, session } from './main-apis';

function rendererOnly(name: string): never {
  throw new Error(`electron.${name} is only available in a preload or renderer, not in the main process`);
}
export const contextBridge = new Proxy({}, { get: () => rendererOnly('contextBridge') });
export const ipcRenderer = new Proxy({}, { get: () => rendererOnly('ipcRenderer') });
