// The top bar: the Vault session at a glance, its expiry counting down, and Log out.
import { useHostStore } from '../state/host';
import { useSessionStore } from '../state/session';
import { useVaultStore, vaultIsUp } from '../state/vault';
import { Countdown } from './Countdown';
import { SesameMark } from './icons';
import { logOutHint, useLogOut } from './LogOut';
import { SESSION_LOOK, StateBadge, VAULT_LOOK } from './StateBadge';

export function Header() {
  const session = useSessionStore((s) => s.session);
  const info = useHostStore((s) => s.info);
  const health = useVaultStore((s) => s.health);
  const logOut = useLogOut();
  const signedIn = session && ['authenticated', 'renewing', 'expiring'].includes(session.state);

  return (
    <header className="app-header">
      <div className="app-header-row">
        <h1 className="brand">
          <SesameMark />
          Sesame
          {info?.sandbox && (
            <span className="tag" title="No config of yours was found; the built-in sandbox is running.">
              sandbox
            </span>
          )}
        </h1>
        {session && !info?.setup && (
          <div className="session-line" data-testid="session-state" data-state={session.state}>
            <StateBadge look={SESSION_LOOK[session.state]} />
            {session.displayName && signedIn && <span className="session-who">as {session.displayName}</span>}
            {signedIn && session.expiresAt && <Countdown until={session.expiresAt} />}
            {signedIn && (
              <button
                type="button"
                className="button button-quiet button-small"
                title={logOutHint(session.revokesOnLogout)}
                disabled={logOut.busy}
                onClick={logOut.start}
              >
                Log out
              </button>
            )}
          </div>
        )}
      </div>
      {session && !info?.setup && (
        <p className="vault-line" data-testid="vault-health" data-status={health?.status}>
          Vault <code>{session.vaultAddress}</code>
          {session.namespace && (
            <>
              {' '}
              · namespace <code>{session.namespace}</code>
            </>
          )}
          {health && health.status !== 'unconfigured' && (
            <span title={health.message}>
              {' '}
              · <StateBadge look={VAULT_LOOK[health.status]} className="state-small" />
              {health.version && <span className="muted"> {health.version}</span>}
            </span>
          )}
        </p>
      )}
      {health && !vaultIsUp(health) && !info?.setup && (
        <p
          className={`notice ${health.status === 'sealed' || health.status === 'uninitialized' ? 'notice-warn' : 'notice-bad'}`}
          role="alert"
          data-testid="vault-problem"
        >
          {health.message} Connections that already hold credentials keep working.
        </p>
      )}
      {logOut.dialog}
      {logOut.error && (
        <p className="inline-error" role="alert">
          Could not log out: {logOut.error.message}
        </p>
      )}
    </header>
  );
}
