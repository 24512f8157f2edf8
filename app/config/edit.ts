// Changing one setting in the user's config file without rewriting the rest: the YAML document
// is edited in place, so comments, key order, quoting and flow maps survive. The result is
// validated like any config before it replaces the file (atomically, with a .bak).
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigError, parseConfig, readConfigText, writeConfigText } from './load';
import type { SesameConfig } from './schema';

/** Apply `edit` to the file's YAML document, validate the result, write it; returns the new config. */
export async function editConfigFile(file: string, edit: (doc: Document) => void): Promise<SesameConfig> {
  const text = await readConfigText(file);
  parseConfig(text, file); // a file that is already broken is not edited: the user must fix it first
  const doc = parseDocument(text, { uniqueKeys: true });
  edit(doc);
  const next = doc.toString();
  const config = parseConfig(next, file);
  await writeConfigText(file, next);
  return config;
}

/** The YAML map of the connection called `name`; a ConfigError naming the file when absent. */
function connectionNode(doc: Document, file: string, name: string) {
  const list = doc.get('connections', true);
  if (isSeq(list)) {
    for (const item of list.items) {
      if (isMap(item) && item.get('name') === name) return item;
    }
  }
  throw new ConfigError(file, [
    { field: 'connections', message: `there is no connection named '${name}' in the file` },
  ]);
}

/** Set `connections[name].listen` in the file, keeping everything else as the user wrote it. */
export function setConnectionListen(file: string, name: string, listen: string): Promise<SesameConfig> {
  return editConfigFile(file, (doc) => {
    connectionNode(doc, file, name).set('listen', listen);
  });
}

/** `value === null` removes `key` from the map at `at` (and the map when it empties). */
function setOrDelete(doc: Document, at: string[], key: string, value: string | boolean | null | undefined): void {
  if (value === undefined) return;
  if (value !== null) {
    doc.setIn([...at, key], value);
    return;
  }
  if (!doc.hasIn([...at, key])) return;
  doc.deleteIn([...at, key]);
  const parent = doc.getIn(at, true);
  if (at.length > 0 && isMap(parent) && parent.items.length === 0) doc.deleteIn(at);
}

export interface VaultSettingsEdit {
  address: string;
  namespace?: string | null;
  caCert?: string | null;
}

/** Set where Vault is (address, namespace, CA file); the auth settings stay as written. */
export function setVaultSettings(file: string, edit: VaultSettingsEdit): Promise<SesameConfig> {
  return editConfigFile(file, (doc) => {
    doc.setIn(['vault', 'address'], edit.address);
    setOrDelete(doc, ['vault'], 'namespace', edit.namespace === '' ? null : edit.namespace);
    setOrDelete(doc, ['vault'], 'caCert', edit.caCert);
  });
}

/** Set or remove (null) the caching proxy's listener and the token sink. */
export interface AgentSettingsEdit {
  listen?: string | null;
  tokenSink?: string | null;
  requireRequestHeader?: boolean;
  cache?: { persist?: boolean; staticSecrets?: boolean };
}

/** Set the token agent's settings named in `edit`; the others stay as written. */
export function setAgentSettings(file: string, edit: AgentSettingsEdit): Promise<SesameConfig> {
  return editConfigFile(file, (doc) => {
    setOrDelete(doc, ['agent'], 'listen', edit.listen);
    setOrDelete(doc, ['agent'], 'tokenSink', edit.tokenSink);
    setOrDelete(doc, ['agent'], 'requireRequestHeader', edit.requireRequestHeader);
    setOrDelete(doc, ['agent', 'cache'], 'persist', edit.cache?.persist);
    setOrDelete(doc, ['agent', 'cache'], 'staticSecrets', edit.cache?.staticSecrets);
  });
}

/** Set a connection's "Open in …" choice, or remove it (null) for the system's URL handler. */
export function setConnectionGui(file: string, name: string, gui: string | null): Promise<SesameConfig> {
  return editConfigFile(file, (doc) => {
    const node = connectionNode(doc, file, name);
    if (gui === null) node.delete('gui');
    else node.set('gui', gui);
  });
}
