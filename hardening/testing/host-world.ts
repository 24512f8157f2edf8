// A host over the sandbox, the way a shell runs it: a config file in a private temp dir that
// logs in with a token file, postgres connections reading the sandbox's Vault KV secret, and
// every log record captured (for state assertions and the canary scan).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { AppEvent } from '../../app/api';
import { createAppHost, type AppHost } from '../../app/host';
import { createLogger, type LogRecord } from '../../app/log';
import { createMemorySecretStore, type Platform, type SecretStore } from '../../app/platform';

export interface HostWorld {
  host: AppHost;
  dir: string;
  configPath: string;
  logs: LogRecord[];
  events: AppEvent[];
  notifications: { title: string; body: string }[];
  close(): Promise<void>;
}

export interface HostWorldOptions {
  vaultAddr: string;
  /** The token the config's token file holds. */
  token: string;
  connections: unknown[];
  agent?: Record<string, unknown>;
  secrets?: SecretStore;
  mode?: 'browser' | 'daemon';
  /** The folder for the config (kept on close): a restart of the same install. Default: a fresh temp dir. */
  dir?: string;
}

/** Writes the config and token file into a fresh 0700 temp dir (or `dir`) and starts the host. */
export async function startHostWorld(options: HostWorldOptions): Promise<HostWorld> {
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'sesame-hardening-')));
  const ownDir = options.dir === undefined;
  const tokenFile = path.join(dir, 'vault-token');
  await writeFile(tokenFile, `${options.token}\n`, { mode: 0o600 });
  const config = {
    vault: { address: options.vaultAddr, auth: { method: 'token', tokenFile } },
    ...(options.agent ? { agent: options.agent } : {}),
    connections: options.connections,
  };
  const configPath = path.join(dir, 'sesame.yaml');
  await writeFile(configPath, `# Written by a Sesame hardening test.\n${stringify(config)}`, { mode: 0o600 });
  const logs: LogRecord[] = [];
  const events: AppEvent[] = [];
  const notifications: { title: string; body: string }[] = [];
  const platform: Platform = {
    openExternal: async () => {},
    openTerminal: async () => {},
    launch: async () => {},
    notify: (title, body) => void notifications.push({ title, body }),
    secrets: options.secrets ?? createMemorySecretStore('hardening tests keep nothing'),
  };
  let host: AppHost;
  try {
    host = await createAppHost({
      configPath,
      platform,
      mode: options.mode ?? 'browser',
      log: createLogger('sesame', (r) => void logs.push(r), 'debug'),
    });
  } catch (error) {
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  host.subscribe((event) => void events.push(event));
  return {
    host,
    dir,
    configPath,
    logs,
    events,
    notifications,
    async close() {
      await host.close();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A periodic child token of the sandbox's root token: renewable, so renewals reach Vault. */
export async function createPeriodicToken(
  vaultAddr: string,
  rootToken: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await fetch(`${vaultAddr}/v1/auth/token/create`, {
    method: 'POST',
    headers: { 'X-Vault-Token': rootToken },
    body: JSON.stringify({ policies: ['root'], period: '1h', ...extra }),
  });
  if (res.status !== 200) throw new Error(`creating a token answered ${res.status}`);
  return ((await res.json()) as { auth: { client_token: string } }).auth.client_token;
}
