// Every configured connection, in the host's order, with a filter once the list grows.
import { useDeferredValue, useId, useState } from 'react';
import { useHostStore } from '../state/host';
import { isOn, useConnectionsStore } from '../state/connections';
import { PROTOCOL_LABELS } from '../lib/format';
import { ConnectionRow } from './ConnectionRow';

const FILTER_FROM = 6;

export function ConnectionList() {
  const { byName, order, pending, refusals } = useConnectionsStore();
  const configPath = useHostStore((s) => s.info?.configPath);
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query.trim().toLowerCase());
  const id = useId();
  const all = order.map((name) => byName[name]).filter((c) => c !== undefined);
  const shown = deferred
    ? all.filter((c) => [c.name, c.target, c.listen, PROTOCOL_LABELS[c.protocol]].some((s) => s.toLowerCase().includes(deferred)))
    : all;
  const on = all.filter((c) => isOn(c.state)).length;

  return (
    <section className="section" aria-labelledby={`${id}-title`}>
      <div className="section-head">
        <h2 id={`${id}-title`}>Connections</h2>
        {all.length > 0 && <span className="muted">{on} of {all.length} on</span>}
      </div>
      {all.length >= FILTER_FROM && (
        <div className="field field-inline">
          <label htmlFor={`${id}-filter`} className="visually-hidden">
            Filter connections
          </label>
          <input
            id={`${id}-filter`}
            type="search"
            placeholder="Filter by name, target or address"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
      )}
      {all.length === 0 ? (
        <p className="empty">
          No connections are configured yet{configPath ? <> — add one to <code>{configPath}</code></> : null}.
        </p>
      ) : shown.length === 0 ? (
        <p className="empty">No connection matches “{query}”.</p>
      ) : (
        <ul className="connection-list">
          {shown.map((view) => (
            <ConnectionRow key={view.name} view={view} pending={pending[view.name]} refusal={refusals[view.name]} />
          ))}
        </ul>
      )}
    </section>
  );
}
