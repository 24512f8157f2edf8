// Every configured connection, searchable and grouped by protocol, with the latest few events
// underneath so a toggle's outcome is visible without leaving the tab.
import { useDeferredValue, useId, useState } from 'react';
import { Protocol, type ConnectionView } from '../../../../app/api';
import { PROTOCOL_LABELS } from '../../lib/format';
import { useHostStore } from '../../state/host';
import { isOn, useConnectionsStore } from '../../state/connections';
import { RecentActivity } from '../activity/RecentActivity';
import { ProtocolIcon } from '../icons';
import { ConnectionRow } from './ConnectionRow';

function matches(view: ConnectionView, query: string): boolean {
  return [view.name, view.target, view.listen, PROTOCOL_LABELS[view.protocol], view.credentialPath ?? ''].some((s) =>
    s.toLowerCase().includes(query),
  );
}

export function ConnectionsTab() {
  const { byName, order, pending, refusals } = useConnectionsStore();
  const configPath = useHostStore((s) => s.info?.configPath);
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query.trim().toLowerCase());
  const id = useId();
  const all = order.map((name) => byName[name]).filter((c) => c !== undefined);
  const shown = deferred ? all.filter((c) => matches(c, deferred)) : all;
  const groups = Protocol.options
    .map((protocol) => ({ protocol, views: shown.filter((c) => c.protocol === protocol) }))
    .filter((g) => g.views.length > 0);
  const on = all.filter((c) => isOn(c.state)).length;

  return (
    <div className="tab-content">
      <section className="section" aria-labelledby={`${id}-title`}>
        <div className="section-head">
          {/* Focused after a login (App), so the keyboard lands where the work is. */}
          <h2 id={`${id}-title`} data-focus-after-login tabIndex={-1}>
            Connections
          </h2>
          {all.length > 0 && (
            <span className="muted">
              {on} of {all.length} on
            </span>
          )}
        </div>
        {all.length > 0 && (
          <div className="field field-inline">
            <label htmlFor={`${id}-filter`} className="visually-hidden">
              Search connections
            </label>
            <input
              id={`${id}-filter`}
              type="search"
              placeholder="Search by name, target, address or protocol"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
            />
          </div>
        )}
        {all.length === 0 ? (
          <p className="empty">
            No connections are configured yet
            {configPath ? (
              <>
                {' '}
                — add one to <code>{configPath}</code>
              </>
            ) : null}
            .
          </p>
        ) : shown.length === 0 ? (
          <p className="empty">No connection matches “{query}”.</p>
        ) : (
          groups.map(({ protocol, views }) => (
            <section
              key={protocol}
              className="connection-group"
              aria-labelledby={`${id}-${protocol}`}
              data-testid={`group-${protocol}`}
            >
              <h3 id={`${id}-${protocol}`} className="group-title">
                <ProtocolIcon protocol={protocol} />
                {PROTOCOL_LABELS[protocol]}
                <span className="muted"> · {views.length}</span>
              </h3>
              <ul className="connection-list">
                {views.map((view) => (
                  <ConnectionRow
                    key={view.name}
                    view={view}
                    pending={pending[view.name]}
                    refusal={refusals[view.name]}
                  />
                ))}
              </ul>
            </section>
          ))
        )}
      </section>
      <RecentActivity />
    </div>
  );
}
