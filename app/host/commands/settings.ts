// The settings the UI shows and changes: paths, addresses and names, never a token. A change is
// checked in full before anything is written (the Vault address answers like Vault, the agent
// port is free and loopback, the sink's folder exists, the connection opens in a GUI); then the config
// file is edited in place. A Vault change restarts the host; the rest (the token agent's proxy
// and sink included) applies in place, leaving connections, their clients and leases alone.
import { lstat, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkVaultAddress, type VaultHealth } from '../../../broker/vault';
import {
  ApiError,
  PROTOCOL_LABELS,
  type SettingsUpdateInput,
  type SettingsView,
  type VaultHealthView,
} from '../../api';
import {
  ConfigError,
  setAgentSettings,
  setConnectionGui,
  setVaultSettings,
  writeConfigText,
  type SesameConfig,
} from '../../config';
import { guiChoicesFor, isKnownGui, KNOWN_GUIS } from '../../launchers';
import { requireConnection, type Handlers, type HostContext } from '../context';
import { resolveConfigPath } from '../credential-sources';
import type { SecretStore } from '../../platform';
import { keyFolder } from '../key-store';
import { persistUnavailable } from '../token-agent';
import { checkLocalAddress, ensureFree } from './connections';

/** Check a Vault address (and CA file, a path relative to the config's folder) as the forms do. */
export function checkVaultFrom(baseDir: string, address: string, caCert?: string | null): Promise<VaultHealth> {
  return checkVaultAddress(address, caCert ? { caCertFile: resolveConfigPath(caCert, baseDir) } : {});
}

/** Check an address about to be saved; refuses (on its field) one that does not answer like Vault. */
export async function requireUsableVault(
  baseDir: string,
  address: string,
  caCert?: string | null,
): Promise<VaultHealth> {
  const health = await checkVaultFrom(baseDir, address, caCert);
  const problem = settingsProblem(health);
  if (problem) throw problem;
  return health;
}

/** Why a checked Vault address cannot be saved (field `vault.address`), or undefined when it can. */
function settingsProblem(health: VaultHealth | VaultHealthView): ApiError | undefined {
  if (health.status === 'unreachable') return new ApiError('vault-unreachable', health.message, 'vault.address');
  if (health.status === 'error')
    return new ApiError(
      'invalid-input',
      health.message,
      health.message.includes('CA certificate') ? 'vault.caCert' : 'vault.address',
    );
  return undefined;
}

function settingsView(ctx: HostContext): SettingsView {
  const config = ctx.config();
  const auth = config.vault.auth;
  const startAtLogin = ctx.platform.startAtLogin;
  const persistence = ctx.agent.persistence();
  return {
    configPath: ctx.configPath,
    configFile: ctx.configFile(),
    vault: {
      address: config.vault.address,
      ...(config.vault.namespace ? { namespace: config.vault.namespace } : {}),
      ...(config.vault.caCert ? { caCert: config.vault.caCert } : {}),
      authMethod: auth.method,
      ...('mount' in auth && auth.mount ? { authMount: auth.mount } : {}),
      ...('role' in auth && auth.role ? { authRole: auth.role } : {}),
    },
    agent: {
      ...(ctx.agent.proxy ? { listen: proxyListen(ctx) } : {}),
      suggestedListen: privateAgentListen(ctx.configPath),
      ...(config.agent?.tokenSink ? { tokenSink: config.agent.tokenSink } : {}),
      requireRequestHeader: config.agent?.requireRequestHeader ?? true,
      cache: {
        staticSecrets: config.agent?.cache?.staticSecrets ?? true,
        staticSecretRefreshSeconds: Math.round((config.agent?.cache?.staticSecretRefresh ?? 30_000) / 1000),
        persist: config.agent?.cache?.persist ?? false,
        ...(persistence ? { persistence } : {}),
      },
    },
    secrets: secretsView(ctx.platform.secrets, ctx.configPath),
    ...(startAtLogin?.available ? { startAtLogin: startAtLogin.isEnabled() } : {}),
    guis: config.connections.filter(opensInGui).map((c) => ({
      connection: c.name,
      ...(c.gui ? { gui: c.gui } : {}),
      choices: guiChoicesFor(c.protocol),
    })),
  };
}

/** Where secrets that outlive a run are kept, and where they are not. */
export function secretsView(secrets: SecretStore, configPath: string): SettingsView['secrets'] {
  return {
    store: secrets.kind,
    ...(secrets.unavailableReason ? { reason: secrets.unavailableReason } : {}),
    ...(secrets.kind === 'memory' ? { keyFolder: keyFolder(configPath) } : {}),
  };
}

/** "Open in …" is for databases; SSH connections open a terminal. */
const opensInGui = (c: { protocol: string }) => c.protocol === 'postgres' || c.protocol === 'mysql';

/** The caching proxy's listen address as the config writes it (`unix:/path` or HOST:PORT). */
/** What an agent change did, in plain words: only what the change named. */
function agentSaid(input: AgentInput, agent: SesameConfig['agent']): string {
  const said: string[] = [];
  if (input.listen !== undefined || input.tokenSink !== undefined) {
    const proxy = agent?.listen ? `the token agent now listens on ${agent.listen}` : "the token agent's proxy is off";
    said.push(agent?.tokenSink ? `${proxy}; the token sink is ${agent.tokenSink}` : proxy);
  }
  if (input.requireRequestHeader !== undefined)
    said.push(
      input.requireRequestHeader
        ? 'the token agent refuses requests without X-Vault-Request: true'
        : 'the token agent accepts requests without X-Vault-Request',
    );
  if (input.cache?.staticSecrets !== undefined)
    said.push(
      input.cache.staticSecrets
        ? 'the token agent caches KV secrets (in memory)'
        : 'the token agent no longer caches KV secrets',
    );
  if (input.cache?.persist !== undefined)
    said.push(
      input.cache.persist
        ? 'the token agent keeps its cached tokens and leases across restarts (encrypted, key in the OS keychain)'
        : 'the token agent no longer keeps its cache across restarts',
    );
  return said.join('; ');
}

type AgentInput = NonNullable<SettingsUpdateInput['agent']>;

/** The config field an agent change is refused on: the first one it names. */
function agentField(input: AgentInput): string {
  if (input.listen !== undefined) return 'agent.listen';
  if (input.tokenSink !== undefined) return 'agent.tokenSink';
  if (input.requireRequestHeader !== undefined) return 'agent.requireRequestHeader';
  if (input.cache?.persist !== undefined) return 'agent.cache.persist';
  return 'agent.cache.staticSecrets';
}

/** The proxy's private socket: beside the config file, in Sesame's own 0700 folder. */
export const privateAgentListen = (configPath: string) => `unix:${path.join(path.dirname(configPath), 'agent.sock')}`;

const proxyListen = (ctx: HostContext) => ctx.agent.proxy?.address.replace(/^https?:\/\//, '');

/** A config file problem, as an error on the form field it names. */
function asFieldError(error: unknown, field: string): never {
  if (error instanceof ConfigError) {
    const problem = error.problems[0];
    throw new ApiError(
      'invalid-input',
      problem ? `${problem.field ? `${problem.field}: ` : ''}${problem.message}` : error.message,
      field,
    );
  }
  throw error;
}

async function checkUpdate(
  ctx: HostContext,
  input: SettingsUpdateInput,
  baseDir: string,
): Promise<VaultHealth | undefined> {
  let health: VaultHealth | undefined;
  if (input.vault) {
    const caCert = input.vault.caCert === undefined ? ctx.config().vault.caCert : input.vault.caCert;
    health = await requireUsableVault(baseDir, input.vault.address, caCert);
  }
  const listen = input.agent?.listen;
  if (listen && listen !== proxyListen(ctx)) {
    try {
      checkLocalAddress(listen);
    } catch (error) {
      throw new ApiError('invalid-input', (error as Error).message, 'agent.listen');
    }
    const taken = ctx.connections.configs().find((c) => c.listen === listen);
    if (taken)
      throw new ApiError('conflict', `${listen} is the address of the connection '${taken.name}'`, 'agent.listen');
    await ensureFree(listen, 'agent.listen');
  }
  const sink = input.agent?.tokenSink;
  if (sink) {
    const file = resolveConfigPath(sink, baseDir);
    const dir = path.dirname(file);
    const folder = await stat(dir).catch(() => undefined);
    if (!folder?.isDirectory())
      throw new ApiError(
        'invalid-input',
        `the folder ${dir} does not exist; create it first (the token file is written there with mode 0600)`,
        'agent.tokenSink',
      );
    // The sink is replaced at every login and deleted at logout: only a file of Sesame's own.
    const running = ctx.config().agent?.tokenSink;
    const isCurrent = running !== undefined && resolveConfigPath(running, baseDir) === file;
    if (!isCurrent && (await lstat(file).catch(() => undefined))) {
      throw new ApiError(
        'invalid-input',
        `${file} already exists: Sesame writes its token sink only to a new file of its own (it is replaced at every login and deleted at logout). Choose another path, or move that file away first.`,
        'agent.tokenSink',
      );
    }
  }
  if (input.agent?.cache?.persist === true && !ctx.config().agent?.cache?.persist) {
    const unavailable = persistUnavailable(ctx.platform.secrets);
    if (unavailable)
      throw new ApiError(
        'conflict',
        `The persistent cache is not available: ${unavailable}. Sesame never writes cached tokens or leases unencrypted.`,
        'agent.cache.persist',
      );
  }
  if (input.startAtLogin !== undefined && !ctx.platform.startAtLogin?.available) {
    throw new ApiError('conflict', `Start at login is not available in ${ctx.mode} mode.`, 'startAtLogin');
  }
  if (input.gui) {
    const target = requireConnection(ctx, input.gui.connection);
    if (!opensInGui(target))
      throw new ApiError(
        'invalid-input',
        `${target.name} is an ${PROTOCOL_LABELS[target.protocol]} connection: it opens in a terminal, not a database GUI`,
        'gui',
      );
    // The bridges' contract allows only known names; checked again here, as a program to run
    // must never come from the UI.
    if (input.gui.gui !== null && !isKnownGui(input.gui.gui))
      throw new ApiError(
        'invalid-input',
        'choose a GUI Sesame knows; command templates are set in the config file',
        'gui',
      );
    const fitting = guiChoicesFor(target.protocol);
    if (input.gui.gui !== null && !fitting.some((choice) => choice.id === input.gui!.gui))
      throw new ApiError(
        'invalid-input',
        `${KNOWN_GUIS[input.gui.gui].label} does not open ${PROTOCOL_LABELS[target.protocol]} databases; ${target.name} is one. Choose ${fitting.map((choice) => choice.label).join(', ')} or the system's handler`,
        'gui',
      );
  }
  return health;
}

const same = (a: string | null | undefined, b: string | undefined) => (a ?? undefined) === b;

export function settingsHandlers(ctx: HostContext): Pick<Handlers, 'settings.get' | 'settings.update'> {
  const baseDir = path.dirname(path.resolve(ctx.configPath));
  return {
    'settings.get': async () => settingsView(ctx),
    'settings.update': async (input) => {
      const health = await checkUpdate(ctx, input, baseDir);
      const running = ctx.config();
      const vaultChanged =
        input.vault !== undefined &&
        (input.vault.address.replace(/\/+$/, '') !== running.vault.address.replace(/\/+$/, '') ||
          (input.vault.namespace !== undefined && !same(input.vault.namespace || null, running.vault.namespace)) ||
          (input.vault.caCert !== undefined && !same(input.vault.caCert, running.vault.caCert)));
      const agentChanged =
        input.agent !== undefined &&
        ((input.agent.listen !== undefined && !same(input.agent.listen, running.agent?.listen)) ||
          (input.agent.tokenSink !== undefined && !same(input.agent.tokenSink, running.agent?.tokenSink)) ||
          (input.agent.requireRequestHeader !== undefined &&
            input.agent.requireRequestHeader !== (running.agent?.requireRequestHeader ?? true)) ||
          (input.agent.cache?.persist !== undefined &&
            input.agent.cache.persist !== (running.agent?.cache?.persist ?? false)) ||
          (input.agent.cache?.staticSecrets !== undefined &&
            input.agent.cache.staticSecrets !== (running.agent?.cache?.staticSecrets ?? true)));

      const before = await readFile(ctx.configPath, 'utf8');
      const said: string[] = [];
      if (vaultChanged) {
        await setVaultSettings(ctx.configPath, input.vault!).catch((error: unknown) =>
          asFieldError(error, 'vault.address'),
        );
        said.push(`Vault is now ${input.vault!.address}${health ? ` (${health.message})` : ''}`);
      }
      if (agentChanged) {
        const field = agentField(input.agent!);
        const written = await setAgentSettings(ctx.configPath, input.agent!).catch((error: unknown) =>
          asFieldError(error, field),
        );
        // In place: the proxy and the sink move; connections, their clients and leases stay.
        if (!vaultChanged) {
          await ctx
            .applyConfig({ ...ctx.config(), agent: written.agent }, 'the token agent settings changed')
            .catch(async (error: unknown) => {
              await writeConfigText(ctx.configPath, before);
              throw new ApiError('conflict', `${(error as Error).message}; nothing was changed`, field);
            });
        }
        said.push(agentSaid(input.agent!, written.agent));
      }
      if (input.gui) {
        const { connection, gui } = input.gui;
        const written: SesameConfig = await setConnectionGui(ctx.configPath, connection, gui).catch((error: unknown) =>
          asFieldError(error, 'gui'),
        );
        const choice = written.connections.find((c) => c.name === connection)?.gui;
        const current = ctx.config();
        const connections = current.connections.map((c) => (c.name === connection ? { ...c, gui: choice } : c));
        await ctx.applyConfig({ ...current, connections }, `"Open in …" for ${connection} changed`);
        said.push(
          `"Open in GUI" for ${connection} now starts ${gui ? KNOWN_GUIS[gui].label : "the system's handler for its URL"}`,
        );
      }
      if (input.startAtLogin !== undefined) {
        ctx.platform.startAtLogin!.setEnabled(input.startAtLogin);
        said.push(`start at login is ${input.startAtLogin ? 'on' : 'off'}`);
      }
      const restarted = vaultChanged;
      if (restarted) {
        ctx.activity.add({
          level: 'info',
          kind: 'settings-changed',
          message: `${said.join('; ')}: Sesame restarts to apply it`,
        });
        ctx.requestRestart({ reason: said.join('; '), rollback: () => writeConfigText(ctx.configPath, before) });
      } else if (said.length > 0) {
        ctx.activity.add({ level: 'info', kind: 'settings-changed', message: said.join('; ') });
      }
      const message = said.length === 0 ? 'Nothing changed.' : `${said.join('; ')}.`;
      return { settings: settingsView(ctx), restarted, message: message.charAt(0).toUpperCase() + message.slice(1) };
    },
  };
}
