// One connection: what it is, what state the host reports (shape + words + colour), where the
// user's tool connects, live counters, and the switch. The data-* hooks are what e2e reads.
import type { ConnectionView } from '../../../app/api';
import { formatBytes, plural, PROTOCOL_LABELS } from '../lib/format';
import { isOn, setConnectionEnabled } from '../state/connections';
import { CopyButton } from './CopyButton';
import { useHostLink } from './host-context';
import { ProtocolIcon } from './icons';
import { CONNECTION_LOOK, StateBadge } from './StateBadge';
import { Switch } from './Switch';

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
  return (
    <li className={`connection connection-${view.state}`} data-testid={`connection-${view.name}`} data-state={view.state}>
      <div className="connection-id">
        <span className="protocol" title={PROTOCOL_LABELS[view.protocol]}>
          <ProtocolIcon protocol={view.protocol} />
          <span className="protocol-label">{PROTOCOL_LABELS[view.protocol]}</span>
        </span>
        <h3 className="connection-name">{view.name}</h3>
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

      <div className="connection-address">
        <code data-testid="listen-address" className={view.state === 'ready' ? '' : 'dim'}>
          {view.listen}
        </code>
        <CopyButton value={view.listen} label={`Copy address of ${view.name}`} />
      </div>

      <div className="connection-switch">
        <Switch
          checked={checked}
          label={view.name}
          busy={pending !== undefined}
          onChange={(on) => void setConnectionEnabled(link, view.name, on)}
        />
      </div>

      {(view.state === 'ready' || stats.activeClients > 0) && (
        <p className="connection-stats">
          {plural(stats.activeClients, 'client')} · {formatBytes(stats.bytesToTarget)} sent ·{' '}
          {formatBytes(stats.bytesToClient)} received
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
