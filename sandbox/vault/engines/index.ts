// Secrets engine types that `sys/mounts/:path {type}` can enable.
import type { BackendFactory } from '../backend';
import { createDatabaseBackend } from './database/index';
import { createKvBackend } from './kv';
import { createSshBackend } from './ssh/index';

export function builtinSecretsEngines(): Map<string, BackendFactory> {
  return new Map<string, BackendFactory>([
    ['kv', createKvBackend],
    ['database', createDatabaseBackend],
    ['ssh', createSshBackend],
  ]);
}
