// The preload of the main window (sandboxed, context-isolated): exposes window.sesame and
// nothing else. Bundled to one CommonJS file, as sandboxed preloads require.
import { contextBridge, ipcRenderer } from 'electron';
import { exposeSesameBridge } from './preload-api';

exposeSesameBridge({ contextBridge, ipcRenderer });
