// Leases & cache: the session token, then every token, lease and cached secret the registry
// holds, filterable by text and kind. Each action asks first, in a dialog that also shows the
// host's refusal if there is one.
import { useCallback, useDeferredValue, useId, useMemo, useState } from 'react';
import type { LeaseViewKind } from '../../../../app/api';
import { useExpiring } from '../../lib/use-expiring';
import { plural } from '../../lib/format';
import {
  clearLeaseCache,
  filterLeaseIds,
  isEnded,
  runLeaseAction,
  setLeaseFilter,
  useLeasesStore,
  type LeaseAction,
} from '../../state/leases';
import { ConfirmDialog } from '../ConfirmDialog';
import { useHostLink } from '../host-context';
import { ACTION_WORDS, isSessionToken, KIND_PLURALS, shortId } from './lease-format';
import { LeaseTable } from './LeaseTable';
import { SessionPanel } from './SessionPanel';

type Asking = { action: LeaseAction; id: string } | { action: 'clear' };

const KINDS: readonly (LeaseViewKind | 'all')[] = ['all', 'token', 'lease', 'kv'];

export function LeasesTab() {
  const link = useHostLink();
  const { byId, order, status, loadError, busy, filter } = useLeasesStore();
  const id = useId();
  const [asking, setAsking] = useState<Asking | null>(null);
  const [dialogError, setDialogError] = useState<string | undefined>();
  const [working, setWorking] = useState(false);
  const [notice, setNotice] = useState<{ text: string } | null>(null);
  const shownNotice = useExpiring(notice);
  const [problem, setProblem] = useState<string | null>(null);

  const deferredFilter = useDeferredValue(filter);
  const ids = useMemo(() => filterLeaseIds(byId, order, deferredFilter), [byId, order, deferredFilter]);
  const counts = useMemo(() => {
    const tally: Record<LeaseViewKind | 'all', number> = { all: 0, token: 0, lease: 0, kv: 0 };
    for (const entry of byId.values()) {
      if (isEnded(entry.view) && !filter.showEnded) continue;
      tally.all += 1;
      tally[entry.view.kind] += 1;
    }
    return tally;
  }, [byId, filter.showEnded]);
  const evictable = useMemo(
    () => [...byId.values()].filter((e) => !isEnded(e.view) && !isSessionToken(e.view)).length,
    [byId],
  );

  // Only what destroys or forgets asks first (revoke, evict, clear); a renewal just runs.
  const ask = useCallback(
    (action: LeaseAction, leaseId: string) => {
      setDialogError(undefined);
      if (action === 'renew') {
        setNotice(null);
        setProblem(null);
        void runLeaseAction(link, 'renew', leaseId).then(
          (refusal) => refusal && setProblem(`Could not renew: ${refusal.message}`),
        );
        return;
      }
      setAsking({ action, id: leaseId });
    },
    [link],
  );

  async function confirm() {
    if (!asking) return;
    setWorking(true);
    setDialogError(undefined);
    if (asking.action === 'clear') {
      const result = await clearLeaseCache(link);
      setWorking(false);
      if ('evicted' in result) {
        setNotice({ text: `Evicted ${plural(result.evicted, 'cached entry', 'cached entries')}.` });
        setAsking(null);
      } else setDialogError(result.message);
      return;
    }
    const problem = await runLeaseAction(link, asking.action, asking.id);
    setWorking(false);
    if (problem) setDialogError(problem.message);
    else setAsking(null);
  }

  const askedView = asking && asking.action !== 'clear' ? byId.get(asking.id)?.view : undefined;

  return (
    <div className="tab-content">
      <SessionPanel />
      <section className="section" aria-labelledby={`${id}-title`}>
        <div className="section-head">
          <h2 id={`${id}-title`}>Leases & cache</h2>
          {status === 'ready' && (
            <span className="muted" data-testid="lease-count">
              {ids.length === counts.all
                ? plural(counts.all, 'entry', 'entries')
                : `${ids.length.toLocaleString()} of ${plural(counts.all, 'entry', 'entries')}`}
            </span>
          )}
        </div>
        {status === 'unsupported' ? (
          <p className="empty">This Sesame host does not report its lease registry.</p>
        ) : status === 'failed' ? (
          <p className="notice notice-bad" role="alert">
            Could not load the leases: {loadError}
          </p>
        ) : status === 'loading' ? (
          <p className="empty" aria-busy="true">
            Loading…
          </p>
        ) : (
          <>
            <div className="toolbar">
              <div className="field field-inline toolbar-grow">
                <label htmlFor={`${id}-filter`} className="visually-hidden">
                  Filter leases
                </label>
                <input
                  id={`${id}-filter`}
                  type="search"
                  placeholder="Filter by path, id or origin"
                  value={filter.text}
                  onChange={(e) => setLeaseFilter({ text: e.target.value })}
                />
              </div>
              <fieldset className="segmented segmented-compact">
                <legend className="visually-hidden">Kind</legend>
                {KINDS.map((kind) => (
                  <label key={kind} className="segment">
                    <input
                      type="radio"
                      name={`${id}-kind`}
                      value={kind}
                      checked={filter.kind === kind}
                      onChange={() => setLeaseFilter({ kind })}
                    />
                    <span>
                      {kind === 'all' ? 'All' : KIND_PLURALS[kind]}{' '}
                      <span className="segment-count">{counts[kind].toLocaleString()}</span>
                    </span>
                  </label>
                ))}
              </fieldset>
              <label className="check">
                <input
                  type="checkbox"
                  checked={filter.showEnded}
                  onChange={(e) => setLeaseFilter({ showEnded: e.target.checked })}
                />
                Show ended <span className="muted">(kept 60 s)</span>
              </label>
              <button
                type="button"
                className="button button-danger-outline"
                disabled={evictable === 0}
                onClick={() => {
                  setDialogError(undefined);
                  setNotice(null);
                  setAsking({ action: 'clear' });
                }}
              >
                Clear cache…
              </button>
            </div>
            {shownNotice && (
              <p className="notice notice-ok" role="status">
                {shownNotice.text}
              </p>
            )}
            {problem && (
              <p className="notice notice-bad" role="alert">
                {problem}
              </p>
            )}
            {ids.length === 0 ? (
              <p className="empty">
                {counts.all === 0 && !filter.text && filter.kind === 'all'
                  ? 'Nothing is held or cached right now.'
                  : 'No entry matches this filter.'}
              </p>
            ) : (
              <LeaseTable ids={ids} byId={byId} busy={busy} onAction={ask} />
            )}
          </>
        )}
      </section>

      {asking?.action === 'clear' && (
        <ConfirmDialog
          title="Clear the whole cache?"
          confirmLabel="Clear cache"
          tone="danger"
          busy={working}
          error={dialogError}
          onConfirm={confirm}
          onCancel={() => setAsking(null)}
        >
          <p>
            Sesame forgets {plural(evictable, 'cached entry', 'cached entries')} (leases, KV secrets, child tokens).
            Nothing is revoked at Vault, and your session token stays.
          </p>
        </ConfirmDialog>
      )}
      {asking && asking.action !== 'clear' && askedView && (
        <ConfirmDialog
          title={ACTION_WORDS[asking.action].title}
          confirmLabel={ACTION_WORDS[asking.action].verb}
          tone={ACTION_WORDS[asking.action].danger ? 'danger' : 'normal'}
          busy={working}
          error={dialogError}
          onConfirm={confirm}
          onCancel={() => setAsking(null)}
        >
          <p>{ACTION_WORDS[asking.action].explain(askedView)}</p>
          <p className="muted">
            <code>{askedView.path}</code> · id <code title={askedView.id}>{shortId(askedView.id)}</code>
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
