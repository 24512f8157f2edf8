// What Sesame runs with: the config file, Vault and its login method, the token agent, start at
// login, and each connection's "Open in …" choice. These are read from the host (no secrets);
// they are changed in the config file, which the host re-reads on "Reload config file".
import { useEffect, useId, useState, type ReactNode } from 'react';
import type { ReloadResult, SettingsView } from '../../../../app/api';
import { asApiError } from '../../lib/errors';
import { useHostStore } from '../../state/host';
import { loadSettings, reloadConfig, useSettingsStore } from '../../state/settings';
import { CopyButton } from '../CopyButton';
import { useHostLink } from '../host-context';

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const unset = <span className="muted">not set</span>;

function Copyable({ value, label }: { value: string; label: string }) {
  return (
    <span className="with-copy">
      <code>{value}</code>
      <CopyButton value={value} label={label} compact />
    </span>
  );
}

function reloadSummary(result: ReloadResult): string {
  const parts = [
    result.added.length && `added ${result.added.join(', ')}`,
    result.removed.length && `removed ${result.removed.join(', ')}`,
    result.changed.length && `restarted ${result.changed.join(', ')}`,
  ].filter(Boolean);
  const head = parts.length ? `Reloaded: ${parts.join('; ')}.` : 'Reloaded: no connection changed.';
  return result.restartNeeded.length ? `${head} Takes effect at the next start: ${result.restartNeeded.join(', ')}.` : head;
}

export function SettingsTab() {
  const link = useHostLink();
  const info = useHostStore((s) => s.info);
  const { settings, status, loadError } = useSettingsStore();
  const [reload, setReload] = useState<{ busy: true } | { ok: string } | { error: string } | null>(null);
  const id = useId();

  // Opening the tab reads the settings again: the file may have changed since the last connect.
  useEffect(() => {
    void loadSettings(link);
  }, [link]);

  async function reloadFile() {
    setReload({ busy: true });
    try {
      setReload({ ok: reloadSummary(await reloadConfig(link)) });
    } catch (error) {
      setReload({ error: asApiError(error).message });
    }
  }

  const configPath = settings?.configPath ?? info?.configPath;
  return (
    <div className="tab-content">
      <section className="card" aria-labelledby={`${id}-file`}>
        <h2 id={`${id}-file`}>Config file</h2>
        <dl className="facts">
          <Fact term="File">{configPath ? <Copyable value={configPath} label="Copy config file path" /> : unset}</Fact>
          {info && (
            <Fact term="Sesame">
              {info.version} · {info.mode} mode{info.sandbox ? ' · built-in sandbox' : ''}
            </Fact>
          )}
        </dl>
        <p className="hint">Settings are changed in this file. Sesame checks every edit and names the field at fault.</p>
        <div className="form-actions">
          <button type="button" className="button" disabled={reload !== null && 'busy' in reload} onClick={reloadFile}>
            {reload !== null && 'busy' in reload ? 'Reloading…' : 'Reload config file'}
          </button>
        </div>
        {reload && 'ok' in reload && (
          <p className="notice notice-ok" role="status">
            {reload.ok}
          </p>
        )}
        {reload && 'error' in reload && (
          <p className="notice notice-bad" role="alert">
            The config file was not applied: {reload.error}
          </p>
        )}
      </section>

      {status === 'unsupported' && <p className="empty">This Sesame host does not report its other settings.</p>}
      {status === 'failed' && (
        <p className="notice notice-bad" role="alert">
          Could not load the settings: {loadError}
        </p>
      )}
      {settings && <SettingsDetails settings={settings} />}
    </div>
  );
}

function SettingsDetails({ settings }: { settings: SettingsView }) {
  const id = useId();
  const { vault, agent } = settings;
  return (
    <>
      <section className="card" aria-labelledby={`${id}-vault`}>
        <h2 id={`${id}-vault`}>Vault</h2>
        <dl className="facts">
          <Fact term="Address">
            <code>{vault.address}</code>
          </Fact>
          <Fact term="Namespace">{vault.namespace ? <code>{vault.namespace}</code> : unset}</Fact>
          <Fact term="Login method">
            {vault.authMethod}
            {vault.authMount && <span className="muted"> at {vault.authMount}/</span>}
            {vault.authRole && <span className="muted"> · role {vault.authRole}</span>}
          </Fact>
          <Fact term="CA certificate">{vault.caCert ? <code>{vault.caCert}</code> : <span className="muted">system roots</span>}</Fact>
        </dl>
      </section>

      <section className="card" aria-labelledby={`${id}-agent`}>
        <h2 id={`${id}-agent`}>Token agent</h2>
        <dl className="facts">
          <Fact term="Agent listener">
            {agent.listen ? <Copyable value={`VAULT_AGENT_ADDR=http://${agent.listen}`} label="Copy VAULT_AGENT_ADDR" /> : <span className="muted">off</span>}
          </Fact>
          <Fact term="Token sink">{agent.tokenSink ? <code>{agent.tokenSink}</code> : <span className="muted">none</span>}</Fact>
          <Fact term="Start at login">
            {settings.startAtLogin === undefined ? <span className="muted">not available in this mode</span> : settings.startAtLogin ? 'on' : 'off'}
          </Fact>
        </dl>
      </section>

      <section className="card" aria-labelledby={`${id}-gui`}>
        <h2 id={`${id}-gui`}>Open in …</h2>
        {settings.guis.length === 0 ? (
          <p className="muted">No database connections.</p>
        ) : (
          <dl className="facts facts-names">
            {settings.guis.map((choice) => (
              <Fact key={choice.connection} term={choice.connection}>
                {choice.gui ? <code>{choice.gui}</code> : <span className="muted">default (the system's handler for its URL)</span>}
              </Fact>
            ))}
          </dl>
        )}
      </section>
    </>
  );
}
