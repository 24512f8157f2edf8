// Everything that happened, newest first: filter by level, connection, client process and text;
// export what the filter shows as a JSON file, each client event with its process and address
// (events carry no secrets, so the file is safe to share).
import { useDeferredValue, useId, useMemo } from 'react';
import type { ActivityEvent } from '../../../../app/api';
import { plural } from '../../lib/format';
import {
  filterActivity,
  processNames,
  setActivityFilter,
  useActivityStore,
  type ActivityFilter,
} from '../../state/activity';
import { useConnectionsStore } from '../../state/connections';
import { ActivityItem } from './ActivityItem';

const LEVELS: { id: ActivityFilter['level']; label: string }[] = [
  { id: 'all', label: 'All levels' },
  { id: 'info', label: 'Info' },
  { id: 'warn', label: 'Warnings' },
  { id: 'error', label: 'Errors' },
];

/** `sesame-activity-2025-01-31T12-04-05.json` */
function exportName(now: Date): string {
  return `sesame-activity-${now.toISOString().slice(0, 19).replaceAll(':', '-')}.json`;
}

function download(events: readonly ActivityEvent[]): void {
  const blob = new Blob([JSON.stringify(events, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = exportName(new Date());
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The download has its own copy of the bytes once it has started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ActivityTab() {
  const items = useActivityStore((s) => s.items);
  const filter = useActivityStore((s) => s.filter);
  const order = useConnectionsStore((s) => s.order);
  const id = useId();
  const deferred = useDeferredValue(filter);
  const shown = useMemo(() => filterActivity(items, deferred), [items, deferred]);
  const connections = useMemo(() => {
    const names = new Set(order);
    for (const event of items) if (event.connection) names.add(event.connection);
    return [...names].sort();
  }, [items, order]);
  const processes = useMemo(() => processNames(items), [items]);

  return (
    <div className="tab-content">
      <section className="section" aria-labelledby={`${id}-title`}>
        <div className="section-head">
          <h2 id={`${id}-title`}>Activity</h2>
          <span className="muted" data-testid="activity-count">
            {shown.length === items.length
              ? plural(items.length, 'event')
              : `${shown.length} of ${plural(items.length, 'event')}`}
          </span>
        </div>
        <div className="toolbar">
          <div className="field field-inline toolbar-grow">
            <label htmlFor={`${id}-text`} className="visually-hidden">
              Filter activity
            </label>
            <input
              id={`${id}-text`}
              type="search"
              placeholder="Filter by text"
              value={filter.text}
              onChange={(e) => setActivityFilter({ text: e.target.value })}
            />
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-level`} className="visually-hidden">
              Level
            </label>
            <select
              id={`${id}-level`}
              value={filter.level}
              onChange={(e) => setActivityFilter({ level: e.target.value as ActivityFilter['level'] })}
            >
              {LEVELS.map((level) => (
                <option key={level.id} value={level.id}>
                  {level.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-connection`} className="visually-hidden">
              Connection
            </label>
            <select
              id={`${id}-connection`}
              value={filter.connection}
              onChange={(e) => setActivityFilter({ connection: e.target.value })}
            >
              <option value="all">All connections</option>
              <option value="none">Not about a connection</option>
              {connections.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-process`} className="visually-hidden">
              Client process
            </label>
            <select
              id={`${id}-process`}
              value={filter.process}
              onChange={(e) => setActivityFilter({ process: e.target.value })}
            >
              <option value="all">All client processes</option>
              {/* A filter kept from before whose events have gone stays selectable, so the select tells the truth. */}
              {filter.process !== 'all' && !processes.includes(filter.process) && (
                <option value={filter.process}>{filter.process}</option>
              )}
              {processes.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="button" disabled={shown.length === 0} onClick={() => download(shown)}>
            Export {plural(shown.length, 'event')} as JSON
          </button>
        </div>
        {items.length === 0 ? (
          <p className="empty">Nothing has happened yet.</p>
        ) : shown.length === 0 ? (
          <p className="empty">No event matches this filter.</p>
        ) : (
          <ol className="activity-list" aria-label="Events">
            {shown.map((event) => (
              <ActivityItem key={event.id} event={event} />
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
