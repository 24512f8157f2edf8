// One connection: what it is, what state the host reports (shape + words + colour), where the
// user's tool connects (the port editable in place), an SSH endpoint's host key fingerprint
// (what ssh asks the user to trust), live counters, the switch, and the ways to use it
// (ConnectionActions).
// The data-* hooks are what e2e reads.
import type { ConnectionView } from '../../../../app/api';
import { formatBytes, plural, PROTOCOL_LABELS } from '../../lib/format';
import { isOn, setConnectionEnabled } from '../../state/connections';
import { needsLogin, useSessionStore } from '../../state/session';
import { CopyButton } from '../CopyButton';
import { useHostLink } from '../host-context';
import { ProtocolIcon } from '../icons';
import { CONNECTION_LOOK, StateBadge } from '../StateBadge';
import { Switch } from '../Switch';
import { ConnectionActions } from './ConnectionActions';
import { ListenEditor } from './ListenEditor';

export interface ConnectionRowProps {
  view: ConnectionView;
  /** The wanted on/off while a toggle is in flight. */
  pending: boolean | undefined;
  refusal: string | undefined;
}

export function ConnectionRow({ view, pending, refusal }: ConnectionRowProps) {
  const link = useHostLink();
  const checked = pending ?? isOn(view.state);
  const reason = view.error ?? view.stats.lastError;
  const { stats } = view;
  const loginNeeded = useSessionStore((s) => s.session !== null && needsLogin(s.session));
  const holdMs = useSessionStore((s) => s.session?.holdsClientsForMs ?? 0);

  return (
    <li
      className={`connection connection-${view.state}`}
      data-testid={`connection-${view.name}`}
      data-state={view.state}
    >
      <div className="connection-id">
        <h4 className="connection-name">
          <span className="protocol" title={PROTOCOL_LABELS[view.protocol]}>
            <ProtocolIcon protocol={view.protocol} />
          </span>
          {view.name}
        </h4>
        <p className="connection-target" title="The real service">
          → {view.target}
        </p>
        {view.hostKeyFingerprint && (
          <p className="connection-hostkey" data-testid="host-key-fingerprint">
            <span title="The key ssh shows the first time it connects here: it stays the same across restarts">
              Host key
            </span>{' '}
            <code>{view.hostKeyFingerprint}</code>
            <CopyButton
              value={view.hostKeyFingerprint}
              label={`Copy the host key fingerprint of ${view.name}`}
              compact
            />
          </p>
        )}
      </div>

      <div className="connection-status">
        <StateBadge look={CONNECTION_LOOK[view.state]} />
        {pending !== undefined && pending !== isOn(view.state) && (
          <span className="muted">{pending ? 'turning on…' : 'turning off…'}</span>
        )}
      </div>
      {/* Ready to accept, but no credential until someone logs in: said on the card, not only in the header. */}
      {view.state === 'ready' && loginNeeded && (
        <p className="connection-login-needed warn-text" data-testid="connection-login-needed">
          {holdMs
            ? 'Sesame is not logged in to Vault: new clients wait for you to log in.'
            : 'Sesame is not logged in to Vault: new clients are refused until you log in.'}
        </p>
      )}
      {view.offline && <OfflineLine offline={view.offline} />}

      <ListenEditor view={view} />

      <div className="connection-switch">
        <Switch
          checked={checked}
          label={view.name}
          busy={pending !== undefined}
          onChange={(on) => void setConnectionEnabled(link, view.name, on)}
        />
      </div>

      <p className="connection-stats" data-testid="connection-stats">
        <span>{plural(stats.activeClients, 'client')} now</span>
        {stats.waitingForLogin ? (
          <span className="warn-text">{stats.waitingForLogin.toLocaleString()} waiting for a login</span>
        ) : null}
        <span>{plural(stats.sessionsServed, 'session')} served</span>
        <span>{formatBytes(stats.bytesToTarget)} sent</span>
        <span>{formatBytes(stats.bytesToClient)} received</span>
        {/* What a per-client credential (a new database user each connect) costs, measured here. */}
        {stats.credentialWaitMs !== undefined && stats.credentialWaitMs >= 5 ? (
          <span
            className={stats.credentialWaitMs >= 1000 ? 'warn-text' : undefined}
            title="Median of the last clients' waits for their credential from Vault (a wait for a login not counted)"
            data-testid="credential-wait"
          >
            each connect waits {formatWait(stats.credentialWaitMs)} for its credential
          </span>
        ) : null}
      </p>

      <ConnectionActions view={view} switching={pending !== undefined} />

      {view.state === 'error' && (
        <div className="connection-problem" role="alert">
          <span>{reason ?? 'The connection stopped with an error.'}</span>
          <button
            type="button"
            className="button button-small"
            disabled={pending !== undefined}
            onClick={() => void setConnectionEnabled(link, view.name, true)}
          >
            Retry
          </button>
        </div>
      )}
      {refusal && (
        <p className="connection-problem" role="alert">
          {refusal}
        </p>
      )}
    </li>
  );
}

/** While Vault cannot answer: does this connection keep working from what Sesame holds, until when. */
function OfflineLine({ offline }: { offline: NonNullable<ConnectionView['offline']> }) {
  const until = offline.until ? new Date(offline.until) : undefined;
  return (
    <p
      className={offline.keepsWorking ? 'connection-offline muted' : 'connection-offline warn-text'}
      data-testid="connection-offline"
      data-keeps-working={offline.keepsWorking}
    >
      {offline.keepsWorking
        ? `Vault is not answering: keeps working from cache${
            until ? ` until ${until.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}` : ''
          } — ${offline.detail}.`
        : `Vault is not answering: ${offline.detail}.`}
    </p>
  );
}

/** "15 ms", "1.8 s": a credential wait, as a developer reads it. */
function formatWait(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
