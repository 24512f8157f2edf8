// One connection: what it is, what state the host reports (shape + words + colour), where the
// user's tool connects (the port editable in place), live counters, the switch, and the ways
// to use it: Open in GUI (databases), Open terminal (SSH: in-app, or the system terminal), Copy
// connection string.
// The data-* hooks are what e2e reads.
import { useState } from 'react';
import type { ConnectionView, LaunchResult } from '../../../../app/api';
import { formatBytes, plural, PROTOCOL_LABELS } from '../../lib/format';
import { isOn, launchConnection, setConnectionEnabled } from '../../state/connections';
import { openTerminalTab } from '../../state/terminals';
import { CopyButton } from '../CopyButton';
import { useHostLink } from '../host-context';
import { ProtocolIcon } from '../icons';
import { CONNECTION_LOOK, StateBadge } from '../StateBadge';
import { Switch } from '../Switch';
import { ListenEditor } from './ListenEditor';

export interface ConnectionRowProps {
  view: ConnectionView;
  /** The wanted on/off while a toggle is in flight. */
  pending: boolean | undefined;
  refusal: string | undefined;
}

const DATABASES = new Set<ConnectionView['protocol']>(['postgres', 'mysql']);

type Launch = { busy: 'gui' | 'terminal' } | { result: LaunchResult } | { error: string } | null;

export function ConnectionRow({ view, pending, refusal }: ConnectionRowProps) {
  const link = useHostLink();
  const [launch, setLaunch] = useState<Launch>(null);
  const checked = pending ?? isOn(view.state);
  const reason = view.error ?? view.stats.lastError;
  const { stats } = view;
  const busy = launch !== null && 'busy' in launch;

  async function open(how: 'gui' | 'terminal') {
    setLaunch({ busy: how });
    const outcome = await launchConnection(link, view.name, how);
    setLaunch('how' in outcome ? { result: outcome } : { error: outcome.message });
  }

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
      </div>

      <div className="connection-status">
        <StateBadge look={CONNECTION_LOOK[view.state]} />
        {pending !== undefined && pending !== isOn(view.state) && (
          <span className="muted">{pending ? 'turning on…' : 'turning off…'}</span>
        )}
      </div>

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
        <span>{plural(stats.sessionsServed, 'session')} served</span>
        <span>{formatBytes(stats.bytesToTarget)} sent</span>
        <span>{formatBytes(stats.bytesToClient)} received</span>
      </p>

      <div className="connection-actions">
        {DATABASES.has(view.protocol) && (
          <button
            type="button"
            className="button button-small"
            disabled={busy}
            onClick={() => void open('gui')}
            aria-label={`Open ${view.name} in a database GUI`}
          >
            {launch && 'busy' in launch && launch.busy === 'gui' ? 'Opening…' : 'Open in GUI'}
          </button>
        )}
        {view.protocol === 'ssh' && (
          <button
            type="button"
            className="button button-small"
            disabled={view.state !== 'ready'}
            onClick={() => openTerminalTab(view.name)}
            aria-label={`Open a terminal to ${view.name} in Sesame`}
          >
            Open terminal
          </button>
        )}
        {view.protocol === 'ssh' && (
          <button
            type="button"
            className="button button-small"
            disabled={busy}
            onClick={() => void open('terminal')}
            aria-label={`Open a terminal to ${view.name} in the system terminal`}
          >
            {launch && 'busy' in launch && launch.busy === 'terminal' ? 'Opening…' : 'System terminal'}
          </button>
        )}
        {view.connectionString && (
          <CopyButton
            value={view.connectionString}
            label={`Copy connection string of ${view.name}`}
            text="Copy connection string"
          />
        )}
      </div>

      {launch && 'result' in launch && (
        <p className="connection-note" role="status">
          Opened {launch.result.opened}.{launch.result.hint ? ` ${launch.result.hint}` : ''}
        </p>
      )}
      {launch && 'error' in launch && (
        <p className="connection-problem" role="alert">
          Could not open {view.name}: {launch.error}
        </p>
      )}
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
