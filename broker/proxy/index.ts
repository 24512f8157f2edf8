export { startAgentProxy } from './server';
export type { AgentProxy, AgentProxyOptions, ProxySession } from './server';
export { parseCacheClear } from './cache-clear';
export type { CacheClearRequest, CacheClearType } from './cache-clear';
export type { PersistOptions } from './persist';
export { ProxyError } from './errors';
