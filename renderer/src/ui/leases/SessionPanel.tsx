// The session token at a glance: who, which policies, its accessor (never the token), when it
// expires, and Renew / Log out.
import { useId, useState } from 'react';
import type { ApiError } from '../../../../app/api';
import { asApiError } from '../../lib/errors';
import { applySession, useSessionStore } from '../../state/session';
import { Countdown } from '../Countdown';
import { CopyButton } from '../CopyButton';
import { useHostLink } from '../host-context';
import { logOutHint, useLogOut } from '../LogOut';
import { SESSION_LOOK, StateBadge } from '../StateBadge';

const SIGNED_IN = ['authenticated', 'renewing', 'expiring'];

export function SessionPanel() {
  const session = useSessionStore((s) => s.session);
  const link = useHostLink();
  const id = useId();
  const [busy, setBusy] = useState<'renew' | null>(null);
  const logOut = useLogOut();
  const [error, setError] = useState<{ what: string; problem: ApiError } | null>(null);
  if (!session) return null;
  const signedIn = SIGNED_IN.includes(session.state);

  async function renew() {
    setBusy('renew');
    setError(null);
    try {
      applySession(await link.call('session.renew', {}));
    } catch (problem) {
      setError({ what: 'Could not renew', problem: asApiError(problem) });
    }
    setBusy(null);
  }

  return (
    <section className="card session-card" aria-labelledby={`${id}-title`} data-testid="session-panel">
      <div className="section-head">
        <h2 id={`${id}-title`}>Session token</h2>
        <StateBadge look={SESSION_LOOK[session.state]} />
      </div>
      {signedIn ? (
        <dl className="facts">
          <div>
            <dt>Logged in</dt>
            <dd>
              {session.displayName ?? 'yes'}
              {session.method && <span className="muted"> · {session.method}</span>}
            </dd>
          </div>
          <div>
            <dt>Expires</dt>
            <dd>
              {session.expiresAt ? <Countdown until={session.expiresAt} prefix="in" /> : 'never (no TTL)'}
              {session.renewable === false && <span className="muted"> · not renewable</span>}
            </dd>
          </div>
          <div>
            <dt>Accessor</dt>
            <dd className="with-copy">
              {session.accessor ? (
                <>
                  <code>{session.accessor}</code>
                  <CopyButton value={session.accessor} label="Copy token accessor" compact />
                </>
              ) : (
                <span className="muted">not reported</span>
              )}
            </dd>
          </div>
          <div className="facts-wide">
            <dt>Policies</dt>
            <dd>
              {session.policies.length === 0 ? (
                <span className="muted">none</span>
              ) : (
                <ul className="tags" aria-label="Policies">
                  {session.policies.map((policy) => (
                    <li key={policy} className="tag">
                      {policy}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </div>
        </dl>
      ) : (
        <p className="muted">Not logged in to Vault. Tokens and leases appear here once you log in.</p>
      )}
      {error && (
        <p className="notice notice-bad" role="alert">
          {error.what}: {error.problem.message}
        </p>
      )}
      {logOut.error && (
        <p className="notice notice-bad" role="alert">
          Could not log out: {logOut.error.message}
        </p>
      )}
      {logOut.dialog}
      {signedIn && (
        <div className="form-actions">
          <button
            type="button"
            className="button"
            disabled={busy !== null || session.renewable === false}
            onClick={renew}
          >
            {busy === 'renew' ? 'Renewing…' : 'Renew token'}
          </button>
          <button
            type="button"
            className="button"
            title={logOutHint(session.revokesOnLogout)}
            disabled={busy !== null || logOut.busy}
            onClick={logOut.start}
          >
            {logOut.busy ? 'Logging out…' : 'Log out of Vault'}
          </button>
        </div>
      )}
    </section>
  );
}
