// What happened, newest first: logins, connections starting and stopping, errors.
import { useId } from 'react';
import type { ActivityEvent } from '../../../app/api';
import { formatClock } from '../lib/format';
import { useActivityStore } from '../state/activity';
import { StatusGlyph, type Glyph } from './icons';

const SHOWN = 100;

const LEVEL_LOOK: Record<ActivityEvent['level'], { glyph: Glyph; words: string }> = {
  info: { glyph: 'filled', words: 'Info' },
  warn: { glyph: 'triangle', words: 'Warning' },
  error: { glyph: 'cross', words: 'Error' },
};

export function ActivityList() {
  const items = useActivityStore((s) => s.items);
  const id = useId();
  return (
    <section className="section" aria-labelledby={`${id}-title`}>
      <div className="section-head">
        <h2 id={`${id}-title`}>Activity</h2>
      </div>
      {items.length === 0 ? (
        <p className="empty">Nothing has happened yet.</p>
      ) : (
        <ol className="activity-list">
          {items.slice(0, SHOWN).map((event) => {
            const look = LEVEL_LOOK[event.level];
            return (
              <li key={event.id} className={`activity activity-${event.level}`}>
                <time dateTime={event.time}>{formatClock(event.time)}</time>
                <span className="activity-level">
                  <StatusGlyph glyph={look.glyph} />
                  <span className="visually-hidden">{look.words}</span>
                </span>
                <span className="activity-message">
                  {event.connection && !event.message.includes(event.connection) && <span className="activity-connection">{event.connection}</span>}
                  {event.message}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
