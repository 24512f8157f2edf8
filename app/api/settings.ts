// The settings the UI may show: what the config file and the shell say, without a secret.
// Paths, addresses and names only — a token file's path, never the token in it.
import { z } from 'zod';
import { AuthMethod } from './views';

export const SettingsView = z.object({
  /** The config file in use (the same as `app.info`'s `configPath`). */
  configPath: z.string(),
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
    /** The Vault-Agent-compatible caching proxy's address (VAULT_AGENT_ADDR), when it runs. */
    listen: z.string().optional(),
    /** Where the token is written for other tools (mode 0600), when configured. */
    tokenSink: z.string().optional(),
  }),
  /** Whether Sesame starts at login; absent where the shell cannot (browser and daemon modes). */
  startAtLogin: z.boolean().optional(),
  /** Per connection, its configured "Open in …" choice: a known GUI's name or a command template. */
  guis: z.array(z.object({ connection: z.string(), gui: z.string().optional() })),
});
export type SettingsView = z.infer<typeof SettingsView>;
