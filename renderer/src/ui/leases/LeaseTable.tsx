// The registry as a virtualized table: whatever the count, only the rows in view (plus a few)
// are in the DOM. Rows have a fixed height per layout (one line wide, two lines narrow), so
// scrolling never measures anything.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { LeaseAction, LeaseEntry } from '../../state/leases';
import { LeaseRow } from './LeaseRow';

const NARROW_QUERY = '(max-width: 980px)'; // the card layout of leases.css
const ROW_HEIGHT = { wide: 44, narrow: 88 } as const;

function subscribeNarrow(listener: () => void): () => void {
  const query = window.matchMedia(NARROW_QUERY);
  query.addEventListener('change', listener);
  return () => query.removeEventListener('change', listener);
}
const isNarrow = () => window.matchMedia(NARROW_QUERY).matches;

export interface LeaseTableProps {
  ids: readonly string[];
  byId: ReadonlyMap<string, LeaseEntry>;
  busy: Readonly<Record<string, LeaseAction>>;
  onAction(action: LeaseAction, id: string): void;
}

export function LeaseTable({ ids, byId, busy, onAction }: LeaseTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const narrow = useSyncExternalStore(subscribeNarrow, isNarrow, () => false);
  const rowHeight = narrow ? ROW_HEIGHT.narrow : ROW_HEIGHT.wide;
  const virtualizer = useVirtualizer({
    count: ids.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    getItemKey: (index) => ids[index] ?? index,
    overscan: 6,
    // React 19 warns about flushSync during render; a frame's delay is invisible.
    useFlushSync: false,
  });
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);

  return (
    <div
      role="table"
      aria-label="Tokens, leases and cached secrets"
      aria-rowcount={ids.length + 1}
      className="lease-table"
    >
      <div role="rowgroup" className="lease-head">
        <div role="row" aria-rowindex={1} className="lease-row lease-header-row">
          <div role="columnheader" className="lease-kind">
            Kind
          </div>
          <div role="columnheader" className="lease-path">
            Path
          </div>
          <div role="columnheader" className="lease-id">
            Id
          </div>
          <div role="columnheader" className="lease-ttl">
            TTL
          </div>
          <div role="columnheader" className="lease-renewable">
            Renewable
          </div>
          <div role="columnheader" className="lease-renewals num">
            Renewals
          </div>
          <div role="columnheader" className="lease-hits num">
            Hits
          </div>
          <div role="columnheader" className="lease-origin">
            Origin
          </div>
          <div role="columnheader" className="lease-actions">
            <span className="visually-hidden">Actions</span>
          </div>
        </div>
      </div>
      {/* Focusable so the keyboard can scroll it (arrows, Page Up/Down, Home/End). */}
      <div
        ref={scroller}
        role="rowgroup"
        className="lease-scroll"
        tabIndex={0}
        aria-label="Entries"
        data-testid="lease-scroll"
      >
        <div className="lease-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const id = ids[item.index];
            const entry = id === undefined ? undefined : byId.get(id);
            if (!entry || id === undefined) return null;
            return (
              <LeaseRow
                key={item.key}
                entry={entry}
                index={item.index}
                start={item.start}
                height={rowHeight}
                busy={busy[id]}
                onAction={onAction}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
