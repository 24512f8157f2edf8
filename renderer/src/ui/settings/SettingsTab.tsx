// What Sesame runs with, and where to change it: Vault (address checked live), the token agent,
// start at login, each database's "Open in …" choice, and the config file itself. Every change
// is written to the config file in place (comments kept). A Vault change restarts the host,
// which ends open client sessions: that is asked first when any are open. The token agent's
// settings apply in place.
import { useEffect, useId, useState, type ReactNode } from 'react';
import {
  vaultAgentAddr,
  type ApiError,
  type ReloadResult,
  type SettingsUpdateInput,
  type SettingsView,
} from '../../../../app/api';
import { asApiError } from '../../lib/errors';
import { useExpiring } from '../../lib/use-expiring';
import { useConnectionsStore } from '../../state/connections';
import { useHostStore } from '../../state/host';
import { loadSettings, reloadConfig, updateSettings, useSettingsStore } from '../../state/settings';
import { ConfirmDialog } from '../ConfirmDialog';
import { CopyButton } from '../CopyButton';
import { useHostLink } from '../host-context';
import { Switch } from '../Switch';
import { AgentCacheSettings } from './AgentCacheSettings';
import { AgentForm } from './AgentForm';
import { GuiChoices } from './GuiChoices';
import { VaultForm } from './VaultForm';

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function reloadSummary(result: ReloadResult): string {
  const parts = [
    result.added.length && `added ${result.added.join(', ')}`,
    result.removed.length && `removed ${result.removed.join(', ')}`,
    result.changed.length && `restarted ${result.changed.join(', ')}`,
  ].filter(Boolean);
  const head = parts.length ? `Reloaded: ${parts.join('; ')}.` : 'Reloaded: no connection changed.';
  return result.restartNeeded.length
    ? `${head} The ${result.restartNeeded.join(' and ')} settings edited in the file apply at the next start (saved from the forms above, they apply at once).`
    : head;
}

type Outcome = { ok: string } | { error: string } | null;
type Outcomes = Record<'vault' | 'agent' | 'login' | 'gui', Outcome>;

/** A confirmation goes away after a while; a refusal stays until the next try. */
function OutcomeLine({ outcome }: { outcome: Outcome }) {
  const confirmation = useExpiring(outcome && 'ok' in outcome ? outcome : null);
  if (!outcome) return null;
  if ('ok' in outcome)
    return (
      confirmation && (
        <p className="notice notice-ok" role="status">
          {confirmation.ok}
        </p>
      )
    );
  return (
    <p className="notice notice-bad" role="alert">
      {outcome.error}
    </p>
  );
}

/** Where the Vault session and SSH host keys are kept: said plainly, above all when nowhere. */
function SecretsFact({ secrets }: { secrets: SettingsView['secrets'] }) {
  if (secrets.store === 'keychain') return <>The Vault session and SSH host keys are kept in the OS keychain.</>;
  if (secrets.store === 'safe-storage')
    return <>The Vault session and SSH host keys are kept encrypted by the OS (no keychain service answered).</>;
  return (
    <span data-testid="keychain-notice">
      <span className="warn-text">No OS keychain{secrets.reason ? `: ${secrets.reason}` : ''}.</span>{' '}
      {secrets.keyFolder && (
        <>
          Sesame&apos;s own keys (SSH host keys, the local TLS CA) are kept in <code>{secrets.keyFolder}</code>{' '}
          (readable by you only), so ssh and TLS clients keep trusting Sesame across restarts.
        </>
      )}
    </span>
  );
}

/** A change that restarts the host asks first when client sessions are open. */
function useRestartConfirm(): [ReactNode, () => Promise<boolean>] {
  const open = useConnectionsStore((s) => Object.values(s.byName).reduce((sum, c) => sum + c.stats.activeClients, 0));
  const [asking, setAsking] = useState<((ok: boolean) => void) | null>(null);
  const ask = () => (open === 0 ? Promise.resolve(true) : new Promise<boolean>((resolve) => setAsking(() => resolve)));
  const answer = (ok: boolean) => {
    asking?.(ok);
    setAsking(null);
  };
  const dialog = asking && (
    <ConfirmDialog
      title="Restart Sesame's connections?"
      confirmLabel="Save and restart"
      onConfirm={() => answer(true)}
      onCancel={() => answer(false)}
    >
      <p>
        Sesame restarts to apply this.{' '}
        {open === 1 ? 'One open client session ends' : `${open} open client sessions end`}; your tools can connect again
        right after.
      </p>
    </ConfirmDialog>
  );
  return [dialog, ask];
}

export function SettingsTab() {
  const link = useHostLink();
  const info = useHostStore((s) => s.info);
  const { settings, status, loadError } = useSettingsStore();
  const [reload, setReload] = useState<{ busy: true } | Outcome>(null);
  // Kept here, above the forms, which are remounted when their values change.
  const outcomes = useState<Outcomes>({ vault: null, agent: null, login: null, gui: null });
  const id = useId();

  // Opening the tab reads the settings again: the file may have changed since the last connect.
  useEffect(() => {
    void loadSettings(link);
  }, [link]);
  // A Reload that failed is old news once the file is applied again (fixed and saved).
  const fileProblem = settings?.configFile.problem;
  useEffect(() => {
    if (!fileProblem) setReload((r) => (r && 'error' in r ? null : r));
  }, [fileProblem]);

  async function reloadFile() {
    setReload({ busy: true });
    try {
      setReload({ ok: reloadSummary(await reloadConfig(link)) });
    } catch (error) {
      setReload({ error: `The config file was not applied: ${asApiError(error).message}` });
    }
  }

  const configPath = settings?.configPath ?? info?.configPath;
  return (
    <div className="tab-content">
      {status === 'unsupported' && <p className="empty">This Sesame host does not report its settings.</p>}
      {status === 'failed' && (
        <p className="notice notice-bad" role="alert">
          Could not load the settings: {loadError}
        </p>
      )}
      {settings && <SettingsForms settings={settings} outcomes={outcomes} />}

      <section className="card" aria-labelledby={`${id}-file`}>
        <h2 id={`${id}-file`}>Config file</h2>
        <dl className="facts">
          <Fact term="File">
            {configPath ? (
              <span className="with-copy">
                <code>{configPath}</code>
                <CopyButton value={configPath} label="Copy config file path" compact />
              </span>
            ) : (
              <span className="muted">not set</span>
            )}
          </Fact>
          {info && (
            <Fact term="Sesame">
              {info.version} · {info.mode} mode{info.sandbox ? ' · built-in sandbox' : ''}
            </Fact>
          )}
          {settings && (
            <Fact term="Secrets">
              <SecretsFact secrets={settings.secrets} />
            </Fact>
          )}
        </dl>
        {settings?.configFile.problem && (
          <p className="notice notice-bad config-problem" role="alert" data-testid="config-problem">
            {settings.configFile.problem}
          </p>
        )}
        <p className="hint">
          Connections are defined in this file.{' '}
          {settings?.configFile.watched
            ? 'Sesame applies each save as it happens; a file with a problem is not applied, and the line and field at fault are named here.'
            : 'Edits apply when you press Reload; a file with a problem is not applied, and the line and field at fault are named.'}
        </p>
        <div className="form-actions">
          <button type="button" className="button" disabled={reload !== null && 'busy' in reload} onClick={reloadFile}>
            {reload !== null && 'busy' in reload ? 'Reloading…' : 'Reload config file'}
          </button>
        </div>
        {/* A file problem shows once, above; what else a Reload said shows here. */}
        {reload && !('busy' in reload) && !('error' in reload && fileProblem) && <OutcomeLine outcome={reload} />}
      </section>
    </div>
  );
}

function SettingsForms({
  settings,
  outcomes,
}: {
  settings: SettingsView;
  outcomes: [Outcomes, (update: (o: Outcomes) => Outcomes) => void];
}) {
  const link = useHostLink();
  const id = useId();
  const [outcome, setOutcome] = outcomes;
  const [confirmDialog, confirmRestart] = useRestartConfirm();
  const { vault, agent } = settings;

  const send = async (
    part: keyof Outcomes,
    input: SettingsUpdateInput,
    restarts: boolean,
  ): Promise<ApiError | undefined> => {
    if (restarts && !(await confirmRestart())) return undefined;
    setOutcome((o) => ({ ...o, [part]: null }));
    const result = await updateSettings(link, input);
    if ('error' in result) {
      // Field errors are shown by the form; others here, so nothing is lost.
      if (!result.error.field) setOutcome((o) => ({ ...o, [part]: { error: result.error.message } }));
      return result.error;
    }
    setOutcome((o) => ({ ...o, [part]: { ok: result.ok.message } }));
    return undefined;
  };

  return (
    <>
      {confirmDialog}
      <section className="card" aria-labelledby={`${id}-vault`}>
        <h2 id={`${id}-vault`}>Vault</h2>
        {/* Keyed by its values: a change saved or made elsewhere (a reload, a restart) resets it;
            the other forms keep what the user is typing. */}
        <VaultForm
          key={JSON.stringify(vault)}
          initial={{ address: vault.address, namespace: vault.namespace ?? '', caCert: vault.caCert ?? '' }}
          submitLabel="Save Vault settings"
          save={(input) => send('vault', { vault: input }, true)}
        />
        <OutcomeLine outcome={outcome.vault} />
        <dl className="facts">
          <Fact term="Automatic login">
            {vault.authMethod}
            {vault.authMount && <span className="muted"> at {vault.authMount}/</span>}
            {vault.authRole && <span className="muted"> · role {vault.authRole}</span>}
          </Fact>
        </dl>
        <p className="hint">The automatic login (token file, AppRole, JWT) is set in the config file's vault.auth.</p>
      </section>

      <section className="card" aria-labelledby={`${id}-agent`}>
        <h2 id={`${id}-agent`}>Token agent</h2>
        {agent.listen && (
          <p className="with-copy">
            <code>VAULT_AGENT_ADDR={vaultAgentAddr(agent.listen)}</code>
            <CopyButton
              value={`VAULT_AGENT_ADDR=${vaultAgentAddr(agent.listen)}`}
              label="Copy VAULT_AGENT_ADDR"
              compact
            />
          </p>
        )}
        <AgentForm
          key={JSON.stringify([agent.listen, agent.tokenSink])}
          agent={agent}
          save={(next) => send('agent', { agent: next }, false)}
        />
        <AgentCacheSettings
          agent={agent}
          secrets={settings.secrets}
          save={(change) => send('agent', { agent: change }, false)}
        />
        <OutcomeLine outcome={outcome.agent} />
      </section>

      <section className="card" aria-labelledby={`${id}-login`}>
        <h2 id={`${id}-login`}>Start at login</h2>
        {settings.startAtLogin === undefined ? (
          <p className="muted">
            Not available in this mode: the desktop app starts at login; browser mode and the daemon are started by you
            or your service manager.
          </p>
        ) : (
          <div className="setting-row">
            <span>Start Sesame in the tray when you log in</span>
            <Switch
              checked={settings.startAtLogin}
              label="Start at login"
              onChange={(on) => void send('login', { startAtLogin: on }, false)}
            />
          </div>
        )}
        <OutcomeLine outcome={outcome.login} />
      </section>

      <section className="card" aria-labelledby={`${id}-gui`}>
        <h2 id={`${id}-gui`}>Open in …</h2>
        <GuiChoices
          key={JSON.stringify(settings.guis)}
          guis={settings.guis}
          save={(connection, gui) => send('gui', { gui: { connection, gui } }, false)}
        />
        <OutcomeLine outcome={outcome.gui} />
      </section>
    </>
  );
}
