// One event of the activity log: time, level (shape + hidden words), connection, message, and
// for a client session the client's address beside the process the message names.
import type { ActivityEvent } from '../../../../app/api';
import { formatClock } from '../../lib/format';
import { StatusGlyph, type Glyph } from '../icons';

export const LEVEL_LOOK: Record<ActivityEvent['level'], { glyph: Glyph; words: string }> = {
  info: { glyph: 'filled', words: 'Info' },
  warn: { glyph: 'triangle', words: 'Warning' },
  error: { glyph: 'cross', words: 'Error' },
};

export function ActivityItem({ event }: { event: ActivityEvent }) {
  const look = LEVEL_LOOK[event.level];
  return (
    <li className={`activity activity-${event.level}`} data-testid="activity-item">
      <time dateTime={event.time}>{formatClock(event.time)}</time>
      <span className="activity-level">
        <StatusGlyph glyph={look.glyph} />
        <span className="visually-hidden">{look.words}</span>
      </span>
      <span className="activity-message">
        {event.connection && !event.message.includes(event.connection) && (
          <span className="activity-connection">{event.connection}</span>
        )}
        {event.message}
        {event.client && !event.message.includes(event.client) && (
          <span className="activity-client" title={event.process?.exe}>
            <span className="visually-hidden">from </span>
            {event.client}
          </span>
        )}
      </span>
    </li>
  );
}
