// The last few events, under the connections: what a toggle just did, at a glance.
import { useId } from 'react';
import { useActivityStore } from '../../state/activity';
import { showTab } from '../../state/nav';
import { ActivityItem } from './ActivityItem';

const RECENT = 5;

export function RecentActivity() {
  const items = useActivityStore((s) => s.items);
  const id = useId();
  return (
    <section className="section" aria-labelledby={`${id}-title`}>
      <div className="section-head">
        <h2 id={`${id}-title`}>Recent activity</h2>
        <button type="button" className="button button-quiet button-small" onClick={() => showTab('activity')}>
          All activity →
        </button>
      </div>
      {items.length === 0 ? (
        <p className="empty">Nothing has happened yet.</p>
      ) : (
        <ol className="activity-list">
          {items.slice(0, RECENT).map((event) => (
            <ActivityItem key={event.id} event={event} />
          ))}
        </ol>
      )}
    </section>
  );
}
