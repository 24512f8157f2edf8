// The first run: no config file yet. This stand-in host answers what the UI needs to show the
// first-run form (app.info with setup: true, an empty session, live address checks) and saves
// the Vault address as a new config file; the wrapper (app-host.ts) then starts the real host
// from that file. Every other command says what is missing instead of failing obscurely.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ApiError,
  type AppEvent,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type SessionView,
} from '../api';
import { writeStarterConfig } from '../config';
import type { AppHost, AppHostOptions, CoreHooks } from './host';
import { checkVaultFrom, requireUsableVault, secretsView } from './commands/settings';

const NOT_SET_UP = 'Sesame is not set up yet: enter the address of your Vault first.';

export function createSetupHost(options: AppHostOptions, hooks: CoreHooks): AppHost {
  const baseDir = path.dirname(path.resolve(options.configPath));
  const session: SessionView = { state: 'logged-out', vaultAddress: '', policies: [] };
  const listeners = new Set<(event: AppEvent) => void>();

  const handlers: { [C in CommandName]?: (input: CommandInput<C>) => Promise<CommandOutput<C>> } = {
    'app.info': async () => ({
      version: options.version ?? '0.0.0',
      mode: options.mode,
      configPath: options.configPath,
      sandbox: false,
      setup: true,
    }),
    'session.get': async () => session,
    'connections.list': async () => [],
    'activity.list': async () => [],
    'leases.list': async () => [],
    'vault.health': async () => ({
      address: '',
      status: 'unconfigured',
      message: 'No Vault address is set yet.',
      checkedAt: new Date().toISOString(),
    }),
    'vault.check': async ({ address, caCert }) => checkVaultFrom(baseDir, address, caCert),
    'settings.update': async (input) => {
      if (!input.vault) throw new ApiError('conflict', NOT_SET_UP, 'vault.address');
      const { address, namespace, caCert } = input.vault;
      const health = await requireUsableVault(baseDir, address, caCert);
      await writeStarterConfig(options.configPath, {
        address,
        ...(namespace ? { namespace } : {}),
        ...(caCert ? { caCert } : {}),
      });
      hooks.requestRestart({
        reason: `Vault at ${address} was saved to ${options.configPath}`,
        rollback: () => rm(options.configPath, { force: true }),
      });
      return {
        settings: {
          configPath: options.configPath,
          configFile: { watched: options.watchConfig ?? false },
          vault: { address, authMethod: 'oidc', ...(namespace ? { namespace } : {}), ...(caCert ? { caCert } : {}) },
          agent: {
            requireRequestHeader: true,
            cache: { staticSecrets: true, staticSecretRefreshSeconds: 30, persist: false },
          },
          secrets: secretsView(options.platform.secrets, options.configPath),
          guis: [],
        },
        restarted: true,
        message: `Saved: ${health.message}`,
      };
    },
  };

  return {
    async call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
      const handler = handlers[command] as ((input: CommandInput<C>) => Promise<CommandOutput<C>>) | undefined;
      if (!handler) throw new ApiError('conflict', NOT_SET_UP);
      return handler(input);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reload: async () => {
      throw new ApiError('conflict', NOT_SET_UP);
    },
    reloadFromFile: async () => {
      throw new ApiError('conflict', NOT_SET_UP);
    },
    // A file created by hand while the form shows is picked up by the wrapper (app-host.ts).
    reloadIfChanged: async () => {},
    currentConfig: () => {
      throw new ApiError('conflict', NOT_SET_UP);
    },
    readiness: () => ({
      ready: false,
      session: { state: 'logged-out', needed: true, ready: false, error: NOT_SET_UP },
      connections: [],
    }),
    async close() {
      listeners.clear();
    },
  };
}
