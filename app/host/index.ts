export { createAppHost } from './app-host';
export type { AppHost, AppHostOptions } from './host';
export type { Readiness } from './readiness';
export { diffConnections, canonicalJson } from './reload';
export type { ConnectionDiff } from './reload';
export { keyFolder } from './key-store';
