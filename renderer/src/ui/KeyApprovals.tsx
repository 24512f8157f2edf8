// "May this process use your SSH key?" — one card per open question, above every tab, until it
// is answered or the host denies it after its deadline. Nothing is focused for the user: an
// Enter meant for another field must not approve a key.
import { useState } from 'react';
import type { KeyApprovalRequest, KeyDecision } from '../../../app/api';
import { answerKeyRequest, useKeyApprovalsStore } from '../state/key-approvals';
import { useNow } from '../lib/use-now';
import { useHostLink } from './host-context';

const ANSWERS: { decision: KeyDecision; label: string; className: string }[] = [
  { decision: 'once', label: 'Allow once', className: 'button button-primary' },
  { decision: 'session', label: 'Allow for this session', className: 'button' },
  { decision: 'deny', label: 'Deny', className: 'button button-danger-outline' },
];

function KeyApprovalCard({ request }: { request: KeyApprovalRequest }) {
  const link = useHostLink();
  const now = useNow();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const who =
    request.process.pid === undefined ? 'An unknown process' : `${request.process.name} (pid ${request.process.pid})`;
  const left = Math.max(0, Math.ceil((Date.parse(request.expiresAt) - now) / 1000));
  const headingId = `key-approval-${request.id}`;

  async function answer(decision: KeyDecision) {
    setBusy(true);
    const error = await answerKeyRequest(link, request.id, decision);
    // On success the host's event removes this card; a refusal says why and stays.
    if (error) {
      setProblem(error.message);
      setBusy(false);
    }
  }

  return (
    <section
      className="notice notice-warn key-approval"
      role="alertdialog"
      aria-labelledby={headingId}
      data-testid="key-approval"
    >
      <h2 id={headingId} className="key-approval-title">
        {who} wants to use the key of <strong>{request.connection}</strong>
        {request.destination ? <> to log in to {request.destination}</> : null}
      </h2>
      <dl className="key-approval-facts">
        {request.process.executable && (
          <>
            <dt>Program</dt>
            <dd>
              <code>{request.process.executable}</code>
            </dd>
          </>
        )}
        {request.process.command && (
          <>
            <dt>Command</dt>
            <dd>
              <code>{request.process.command}</code>
            </dd>
          </>
        )}
      </dl>
      <div className="key-approval-actions">
        {/* An unknown process cannot be recognised again: it can only be allowed once. */}
        {ANSWERS.filter(({ decision }) => decision !== 'session' || request.process.pid !== undefined).map(
          ({ decision, label, className }) => (
            <button
              key={decision}
              type="button"
              className={className}
              disabled={busy}
              onClick={() => void answer(decision)}
            >
              {label}
            </button>
          ),
        )}
        <span className="muted" aria-live="off">
          {left > 0 ? `Denied by itself in ${left} s` : 'Denying…'}
        </span>
      </div>
      <p className="muted key-approval-hint">
        Allow for this session: this process may use the key again until it exits or you log out of Vault.
      </p>
      {problem && (
        <p className="field-problem" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}

export function KeyApprovals() {
  const open = useKeyApprovalsStore((s) => s.open);
  if (open.length === 0) return null;
  return (
    <div className="key-approvals" aria-label="Key use requests">
      {open.map((request) => (
        <KeyApprovalCard key={request.id} request={request} />
      ))}
    </div>
  );
}
