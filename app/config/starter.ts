// The config file the first run writes: the Vault the user named, OIDC as the login method,
// no connections yet, and comments that show where things go. It is validated like any config
// before it is written; an existing file is never overwritten.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, parseConfig } from './load';
import type { SesameConfig } from './schema';

export interface StarterSettings {
  address: string;
  /** The caching proxy's private socket (beside the config file); no proxy when absent. */
  agentSocket?: string;
  namespace?: string | null;
  caCert?: string | null;
}

export function starterConfigText(settings: StarterSettings): string {
  const doc = parseDocument(
    [
      '# Sesame: where Vault is, how to log in, and the connections Sesame brokers.',
      '# After editing, use Settings → Reload config file; a bad edit is refused with the line named.',
      'vault:',
      '  address: https://vault.example.com:8200',
      '  auth:',
      '    # oidc (the default), token (tokenFile: PATH), userpass, approle or jwt',
      '    method: oidc',
      '# The Vault-Agent-compatible caching proxy (VAULT_AGENT_ADDR=unix://<path>): on a unix socket only',
      '# you can open. A TCP address (e.g. 127.0.0.1:8100) lets every local user use your Vault session.',
      'agent:',
      '  listen: unix:/agent.sock',
      '# Each connection: name, protocol (postgres, mysql, ssh, ssh-agent), listen, target and',
      '# credentials (vault-kv, vault-dynamic, vault-ssh-sign). `sesame import-secretless` converts',
      '# a Secretless Broker config.',
      'connections: []',
      '',
    ].join('\n'),
  );
  doc.setIn(['vault', 'address'], settings.address);
  if (settings.agentSocket) doc.setIn(['agent', 'listen'], `unix:${settings.agentSocket}`);
  else doc.setIn(['agent'], doc.createNode({}));
  if (settings.namespace) doc.setIn(['vault', 'namespace'], settings.namespace);
  if (settings.caCert) doc.setIn(['vault', 'caCert'], settings.caCert);
  return doc.toString();
}

/** Write the first config file (mode 0600, its directory 0700); refuses to overwrite one. */
export async function writeStarterConfig(file: string, settings: StarterSettings): Promise<SesameConfig> {
  const text = starterConfigText({ agentSocket: path.join(path.dirname(file), 'agent.sock'), ...settings });
  const config = parseConfig(text, file);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new ConfigError(
        file,
        [{ field: '', message: 'a config file already exists here; it was left as it is' }],
        'not created',
      );
    throw error;
  }
  return config;
}
