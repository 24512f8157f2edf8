// The sandbox's own config with a journey's edit (another login method, another connection),
// written to `dir`: what a journey hands startSandboxApp as `configFor`.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../sandbox/servers/ports';

// The YAML as parsed: a journey edits what it needs and leaves the rest as the sandbox wrote it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EditableConfig = Record<string, any>;

export function editedSandboxConfig<Info extends { configPath: string }>(
  dir: string,
  edit: (config: EditableConfig, info: Info) => void | Promise<void>,
): (info: Info) => Promise<string> {
  return async (info) => {
    const config = parse(await readFile(info.configPath, 'utf8')) as EditableConfig;
    await edit(config, info);
    const configPath = path.join(dir, 'sesame.yaml');
    await writeFile(configPath, stringify(config));
    return configPath;
  };
}

/** The sandbox's config, logging in with OIDC through the identity provider instead of the root token file. */
export function oidcSandboxConfig<Info extends { configPath: string; oidc: { role: string } }>(dir: string) {
  return editedSandboxConfig<Info>(dir, async (config, info) => {
    config.vault.auth = { method: 'oidc', role: info.oidc.role, callbackPort: await freePort() };
    delete config.agent;
  });
}
