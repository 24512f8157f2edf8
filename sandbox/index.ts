export { startSandbox } from './sandbox';
export type { Sandbox, SandboxOptions, SandboxConnection } from './sandbox';
