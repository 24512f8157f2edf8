export * from './views';
export * from './contract';
export * from './leases';
export * from './key-approvals';
export * from './settings';
export * from './terminal';
export * from './preload';
