export { createAppHost } from './host';
export type { AppHost, AppHostOptions } from './host';
