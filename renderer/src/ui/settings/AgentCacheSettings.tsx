// The token agent's cache switches: the persistent cache (Vault Agent's cache persist), KV
// caching (Vault Proxy's cache_static_secrets) and the X-Vault-Request requirement. Each switch
// sends only its own setting and shows the host's answer; the lines under them say what the
// host reports — restored entries only when some were, "Not available" only without a keychain.
import { useState } from 'react';
import type { ApiError, SettingsUpdateInput, SettingsView } from '../../../../app/api';
import { Switch } from '../Switch';

type AgentChange = NonNullable<SettingsUpdateInput['agent']>;
type Key = 'persist' | 'staticSecrets' | 'requireRequestHeader';

export interface AgentCacheSettingsProps {
  agent: SettingsView['agent'];
  secrets: SettingsView['secrets'];
  save(change: AgentChange): Promise<ApiError | undefined>;
}

export function AgentCacheSettings({ agent, secrets, save }: AgentCacheSettingsProps) {
  const [busy, setBusy] = useState<Key | null>(null);
  const [refusal, setRefusal] = useState<{ key: Key; message: string } | null>(null);
  const { cache } = agent;

  async function change(key: Key, on: boolean) {
    setBusy(key);
    setRefusal(null);
    const error = await save(key === 'requireRequestHeader' ? { requireRequestHeader: on } : { cache: { [key]: on } });
    setBusy(null);
    // A refusal that names no field is shown under the whole card by the tab.
    if (error?.field) setRefusal({ key, message: error.message });
  }
  const refused = (key: Key) =>
    refusal?.key === key && (
      <p className="notice notice-bad" role="alert">
        {refusal.message}
      </p>
    );

  const noKeychain = secrets.store === 'memory';
  return (
    <div className="agent-cache" data-testid="agent-cache">
      <h3>Cache</h3>
      <div className="setting-row">
        <span>Keep cached tokens and leases across restarts</span>
        {noKeychain && !cache.persist ? (
          <span className="muted" data-testid="agent-persist-unavailable">
            Not available: no OS keychain
          </span>
        ) : (
          <Switch
            checked={cache.persist}
            label="Keep the agent cache across restarts"
            busy={busy === 'persist'}
            onChange={(on) => void change('persist', on)}
          />
        )}
      </div>
      <p className="hint" data-testid="agent-persist-status" data-state={persistState(agent, noKeychain)}>
        <PersistStatus agent={agent} secrets={secrets} />
      </p>
      {refused('persist')}

      <div className="setting-row">
        <span>Cache KV secrets</span>
        <Switch
          checked={cache.staticSecrets}
          label="Cache KV secrets"
          busy={busy === 'staticSecrets'}
          onChange={(on) => void change('staticSecrets', on)}
        />
      </div>
      <p className="hint">
        {cache.staticSecrets
          ? `KV secrets read through the agent are kept in memory only and served only to tokens Vault has allowed to read them; access and version are checked again every ${cache.staticSecretRefreshSeconds} s (agent.cache.staticSecretRefresh in the config file).`
          : 'Every KV read through the agent goes to Vault. Tokens and leases are still cached.'}
      </p>
      {refused('staticSecrets')}

      <div className="setting-row">
        <span>
          Require <code>X-Vault-Request: true</code>
        </span>
        <Switch
          checked={agent.requireRequestHeader}
          label="Require X-Vault-Request"
          busy={busy === 'requireRequestHeader'}
          onChange={(on) => void change('requireRequestHeader', on)}
        />
      </div>
      <p className="hint">
        {agent.requireRequestHeader ? (
          'The vault CLI and the Vault SDKs send it; a web page cannot, so it cannot use your session through the agent.'
        ) : (
          <strong className="warn-text">
            Requests without it are accepted: only a web page&apos;s Origin and Sec-Fetch headers still keep browsers
            out.
          </strong>
        )}
      </p>
      {refused('requireRequestHeader')}
    </div>
  );
}

function persistState(agent: SettingsView['agent'], noKeychain: boolean): string {
  const persistence = agent.cache.persistence;
  if (!agent.cache.persist) return noKeychain ? 'unavailable' : 'off';
  return persistence?.state ?? 'off';
}

/** What the persistent cache does, as the host reports it. */
function PersistStatus({ agent, secrets }: { agent: SettingsView['agent']; secrets: SettingsView['secrets'] }) {
  const { persist, persistence } = agent.cache;
  if (!persist) {
    if (secrets.store === 'memory')
      return (
        <>
          Sesame keeps the cache&apos;s key only in the OS keychain
          {secrets.reason ? ` (${secrets.reason})` : ''}, so nothing would be written: cached tokens and leases are
          never stored unencrypted.
        </>
      );
    return <>Off: the agent&apos;s cache starts empty each time Sesame starts.</>;
  }
  if (!persistence || persistence.state === 'unavailable')
    return (
      <strong className="warn-text">
        Not available: {persistence?.reason ?? 'there is no OS keychain, so nothing is written'}.
      </strong>
    );
  if (persistence.state === 'idle')
    return <>On, but the agent&apos;s proxy is off (no listener): there is nothing to keep.</>;
  return (
    <>
      Tokens and leases created through the agent are kept in <code>{persistence.file}</code>, encrypted (AES-256-GCM)
      with a key in the OS keychain, for the same Vault session; KV secrets are never written.
      {persistence.restored ? (
        <>
          {' '}
          <span data-testid="agent-persist-restored">
            Restored {persistence.restored} {persistence.restored === 1 ? 'entry' : 'entries'} when the agent started.
          </span>
        </>
      ) : null}
    </>
  );
}
