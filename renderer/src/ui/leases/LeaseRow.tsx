// One registry entry as a table row, positioned by the virtualizer. Only the TTL cell watches
// the shared clock, so a tick re-renders a few dozen small cells, nothing else.
import { memo } from 'react';
import { formatDuration, plural } from '../../lib/format';
import { useNow } from '../../lib/use-now';
import type { LeaseAction, LeaseEntry } from '../../state/leases';
import { CopyButton } from '../CopyButton';
import { StatusGlyph, type Glyph } from '../icons';
import { ACTION_WORDS, canRun, KIND_LABELS, originLabel, shortId } from './lease-format';

const STATE_LOOK: Record<string, { glyph: Glyph; words: string; tone: string }> = {
  renewing: { glyph: 'ring', words: 'renewing…', tone: 'work' },
  expired: { glyph: 'cross', words: 'expired', tone: 'bad' },
  revoked: { glyph: 'cross', words: 'revoked', tone: 'bad' },
  evicted: { glyph: 'hollow', words: 'evicted', tone: 'off' },
};

const ACTIONS: readonly LeaseAction[] = ['renew', 'revoke', 'evict'];

export interface LeaseRowProps {
  entry: LeaseEntry;
  /** 0-based position in the filtered list (aria-rowindex counts the header as row 1). */
  index: number;
  start: number;
  height: number;
  busy: LeaseAction | undefined;
  onAction(action: LeaseAction, id: string): void;
}

export const LeaseRow = memo(function LeaseRow({ entry, index, start, height, busy, onAction }: LeaseRowProps) {
  const { view } = entry;
  const short = shortId(view.id);
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`lease-row lease-${view.state}`}
      data-testid="lease-row"
      data-lease-id={view.id}
      data-state={view.state}
      data-kind={view.kind}
      style={{ transform: `translateY(${start}px)`, height }}
    >
      <div role="cell" className="lease-kind">
        <span className={`kind kind-${view.kind}`}>{KIND_LABELS[view.kind]}</span>
      </div>
      <div role="cell" className="lease-path" title={view.path}>
        <span className="path-head">{view.path.slice(0, view.path.lastIndexOf('/') + 1)}</span>
        <span className="path-tail">{view.path.slice(view.path.lastIndexOf('/') + 1)}</span>
      </div>
      <div role="cell" className="lease-id">
        <code title={view.id}>{short}</code>
        <CopyButton value={view.id} label={`Copy id of ${view.path} (${short})`} compact />
      </div>
      <div role="cell" className="lease-ttl">
        <TtlCell entry={entry} />
      </div>
      <div className="lease-break" aria-hidden="true" />
      <div role="cell" className="lease-renewable">
        <span className="lease-label" aria-hidden="true">
          renewable{' '}
        </span>
        {view.renewable ? 'yes' : 'no'}
      </div>
      <div role="cell" className="lease-renewals num" title="Renewals">
        <span className="lease-label" aria-hidden="true">
          renewed{' '}
        </span>
        {view.renewals}
      </div>
      <div role="cell" className="lease-hits num" title="Cache hits">
        <span className="lease-label" aria-hidden="true">
          hits{' '}
        </span>
        {view.hits}
      </div>
      <div role="cell" className="lease-origin" title={view.origin}>
        {originLabel(view.origin)}
      </div>
      <div className="lease-break lease-break-2" aria-hidden="true" />
      <div role="cell" className="lease-actions">
        {ACTIONS.filter((action) => canRun(action, view)).map((action) => (
          <button
            key={action}
            type="button"
            className={`button button-small ${action === 'renew' ? '' : 'button-quiet-danger'}`}
            aria-label={`${ACTION_WORDS[action].verb} ${view.path} (${short})`}
            disabled={busy !== undefined}
            onClick={() => onAction(action, view.id)}
          >
            {busy === action ? `${ACTION_WORDS[action].verb}…` : ACTION_WORDS[action].verb}
          </button>
        ))}
      </div>
    </div>
  );
});

function TtlCell({ entry }: { entry: LeaseEntry }) {
  const { view } = entry;
  const look = STATE_LOOK[view.state];
  const problem = view.lastError && (
    <span className="lease-problem" title={view.lastError}>
      <StatusGlyph glyph="triangle" />
      <span className="visually-hidden">{view.lastError}</span>
    </span>
  );
  if (look && view.state !== 'renewing') {
    return (
      <span className={`state state-${look.tone}`} data-testid="lease-ttl">
        <StatusGlyph glyph={look.glyph} />
        {look.words}
        {problem}
      </span>
    );
  }
  return (
    <>
      {entry.deadline === undefined ? (
        <span className="muted" data-testid="lease-ttl">
          no expiry
        </span>
      ) : (
        <Countdown deadline={entry.deadline} />
      )}
      {look && (
        <span className={`state state-${look.tone}`}>
          <StatusGlyph glyph={look.glyph} />
          <span className="visually-hidden">{look.words}</span>
        </span>
      )}
      {problem}
    </>
  );
}

function Countdown({ deadline }: { deadline: number }) {
  const now = useNow();
  const left = Math.max(0, deadline - now);
  const seconds = Math.ceil(left / 1000);
  return (
    <time
      className={seconds <= 60 ? 'ttl ttl-low' : 'ttl'}
      data-testid="lease-ttl"
      data-seconds={seconds}
      dateTime={`PT${seconds}S`}
      title={`${plural(seconds, 'second')} left · ${new Date(deadline).toLocaleString()}`}
    >
      {formatDuration(seconds * 1000)}
    </time>
  );
}
