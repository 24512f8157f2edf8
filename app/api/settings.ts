// The settings the UI may show: what the config file and the shell say, without a secret.
// Paths, addresses and names only — a token file's path, never the token in it.
import { z } from 'zod';
import { AuthMethod, KnownGui } from './views';

/** Whether the config file on disk is what runs. */
export const ConfigFileStatus = z.object({
  /** Edits are applied as they are saved (false: only by Reload, or SIGHUP to the daemon). */
  watched: z.boolean(),
  /** Why the file on disk is not what runs (its problems, with line numbers); absent when it is. */
  problem: z.string().optional(),
});
export type ConfigFileStatus = z.infer<typeof ConfigFileStatus>;

export const SettingsView = z.object({
  /** The config file in use (the same as `app.info`'s `configPath`). */
  configPath: z.string(),
  configFile: ConfigFileStatus,
  vault: z.object({
    address: z.string(),
    namespace: z.string().optional(),
    /** Path of the CA certificate file Vault's TLS is checked against. */
    caCert: z.string().optional(),
    authMethod: AuthMethod,
    authMount: z.string().optional(),
    authRole: z.string().optional(),
  }),
  agent: z.object({
    /** The caching proxy's address when it runs: `unix:/path` or a loopback HOST:PORT (tools use vaultAgentAddr of it). */
    listen: z.string().optional(),
    /** A private unix socket for the proxy (in Sesame's own folder): what the form offers. */
    suggestedListen: z.string().optional(),
    /** Where the token is written for other tools (mode 0600), when configured. */
    tokenSink: z.string().optional(),
    /** Requests without `X-Vault-Request: true` are refused (agent.requireRequestHeader). */
    requireRequestHeader: z.boolean(),
    cache: z.object({
      /** KV secrets read through the proxy are cached in memory (agent.cache.staticSecrets). */
      staticSecrets: z.boolean(),
      /** How often a cached KV secret's readers and version are re-checked, in seconds. */
      staticSecretRefreshSeconds: z.number(),
      /** The config asks for the persistent cache (agent.cache.persist). */
      persist: z.boolean(),
      /**
       * What the persistent cache does now, when `persist` is on: `active` (the file is kept;
       * `restored` entries came back when the proxy started), `unavailable` (no OS keychain:
       * nothing is written; `reason` says why) or `idle` (the proxy is off).
       */
      persistence: z
        .object({
          state: z.enum(['active', 'unavailable', 'idle']),
          /** The encrypted cache file (chosen by Sesame: beside the config file). */
          file: z.string(),
          reason: z.string().optional(),
          restored: z.number().optional(),
        })
        .optional(),
    }),
  }),
  /** Where Sesame keeps what must survive a restart (the Vault session, SSH host keys). */
  secrets: z.object({
    /** 'keychain' (the OS keychain), 'safe-storage' (Electron's encrypted store) or 'memory' (nothing is kept). */
    store: z.enum(['keychain', 'safe-storage', 'memory']),
    /** Why there is no keychain, in plain words, when store is 'memory'. */
    reason: z.string().optional(),
    /** Without a keychain: the private folder (0700, files 0600) that keeps Sesame's own keys (SSH host keys, the local TLS CA). */
    keyFolder: z.string().optional(),
  }),
  /** Whether Sesame starts at login; absent where the shell cannot (browser and daemon modes). */
  startAtLogin: z.boolean().optional(),
  /**
   * Per database connection, its configured "Open in …" choice (a known GUI's name or a command
   * template) and the GUIs that speak its protocol, with the names people know them by.
   */
  guis: z.array(
    z.object({
      connection: z.string(),
      gui: z.string().optional(),
      choices: z.array(z.object({ id: KnownGui, label: z.string() })),
    }),
  ),
});
export type SettingsView = z.infer<typeof SettingsView>;

const path = z.string().trim().min(1, { message: 'enter a file path' }).max(4096);

/** A Vault address as the forms send it: an http(s) URL (the host then checks it answers). */
export const VaultAddressInput = z
  .string()
  .trim()
  .min(1, { message: 'enter the address of your Vault, e.g. https://vault.example.com:8200' })
  .max(2048)
  .refine((v) => /^https?:\/\/[^\s/]+/i.test(v) && URL.canParse(v), {
    message: 'expected an http(s) URL such as https://vault.example.com:8200',
  });

/** Vault connection settings; `caCert: null` / `namespace: null` remove them. */
export const VaultSettingsInput = z
  .object({
    address: VaultAddressInput,
    namespace: z
      .string()
      .trim()
      .max(512)
      .regex(/^[\w./-]*$/, { message: 'a namespace is a path such as team-a or team-a/dev' })
      .nullable()
      .optional(),
    caCert: path.nullable().optional(),
  })
  .strict();
export type VaultSettingsInput = z.infer<typeof VaultSettingsInput>;

/**
 * One settings change. A Vault change restarts the host (sessions on connections end, the login
 * is kept where it still applies); the token agent's settings, start at login and GUI choices
 * apply in place.
 * `null` turns a setting off (agent listener, token sink) or back to the default (GUI).
 */
export const SettingsUpdateInput = z
  .object({
    vault: VaultSettingsInput.optional(),
    agent: z
      .object({
        listen: z
          .string()
          .trim()
          .regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s[\]]+):\d{1,5}$|^unix:\/\S+$/, {
            message: 'expected unix:/absolute/path (private to you) or a loopback HOST:PORT such as 127.0.0.1:8100',
          })
          .nullable()
          .optional(),
        tokenSink: path.nullable().optional(),
        requireRequestHeader: z.boolean().optional(),
        cache: z.object({ persist: z.boolean().optional(), staticSecrets: z.boolean().optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    startAtLogin: z.boolean().optional(),
    /**
     * A known GUI, or null for the system's URL handler. Command templates are set in the config
     * file only: the UI never names a program to run (a compromised renderer could not either).
     */
    gui: z
      .object({ connection: z.string().min(1).max(128), gui: KnownGui.nullable() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'name at least one setting to change' });
export type SettingsUpdateInput = z.input<typeof SettingsUpdateInput>;

export const SettingsUpdateResult = z.object({
  settings: SettingsView,
  /** True when the host started again to apply it (an `app.reset` event followed). */
  restarted: z.boolean(),
  /** What happened, in words, for the form's status line. */
  message: z.string(),
});
export type SettingsUpdateResult = z.infer<typeof SettingsUpdateResult>;

/** What tools set to use the proxy at `listen`: `unix:///path` for a socket, `http://HOST:PORT` otherwise. */
export function vaultAgentAddr(listen: string): string {
  return listen.startsWith('unix:') ? `unix://${listen.slice('unix:'.length)}` : `http://${listen}`;
}

/** True when every local user can reach the proxy at `listen` (TCP) — and so use the session. */
export function isSharedListener(listen: string): boolean {
  return !listen.startsWith('unix:');
}
