// The window's preload as Chromium runs it here: the app's own bundled preload (out/main/
// preload.cjs) wrapped so that `require('electron')` gives it a contextBridge and an
// ipcRenderer, as a sandboxed preload gets in Electron. ipcRenderer.invoke goes to the main
// process through a page binding the wrapper takes for itself; main's webContents.send comes
// back through a function only the stand-in calls. Both run before any page script.
export const INVOKE_BINDING = '__electronStandinInvoke';
export const EMIT_FUNCTION = '__electronStandinEmit';

export function preloadScript(preloadSource: string): string {
  return `(() => {
  if (window.top !== window) return; // preloads run in the main frame only (nodeIntegrationInSubFrames is off)
  const invoke = globalThis[${JSON.stringify(INVOKE_BINDING)}];
  const listeners = new Map();
  Object.defineProperty(globalThis, ${JSON.stringify(EMIT_FUNCTION)}, {
    value: (channel, args) => {
      for (const listener of [...(listeners.get(channel) ?? [])]) listener({ senderId: 0 }, ...args);
    },
  });
  const ipcRenderer = {
    invoke: (channel, ...args) => invoke(channel, args),
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel).add(listener);
      return ipcRenderer;
    },
    removeListener(channel, listener) {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  };
  // What contextBridge gives the page: a frozen copy whose functions call into the preload's world.
  const copy = (value) => {
    if (typeof value === 'function') return (...args) => value(...args);
    if (value && typeof value === 'object') return Object.freeze(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])));
    return value;
  };
  const contextBridge = {
    exposeInMainWorld(key, api) {
      Object.defineProperty(globalThis, key, { value: copy(api), enumerable: true, configurable: false, writable: false });
    },
  };
  const require = (name) => {
    if (name === 'electron') return { contextBridge, ipcRenderer };
    throw new Error("module not found: " + name + " (a sandboxed preload may require only 'electron')");
  };
  const module = { exports: {} };
  (function (require, module, exports) {
${preloadSource}
  })(require, module, module.exports);
})();`;
}
