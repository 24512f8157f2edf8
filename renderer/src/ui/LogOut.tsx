// Log out, as the Header and the session panel offer it. It asks first only when it destroys
// something: a token Sesame created is revoked at Vault (and with it the leases and database
// users made with it). A token Sesame was handed (typed, a token file) is only forgotten: it
// stays valid for the vault CLI, so there is nothing to ask.
import { useState, type ReactNode } from 'react';
import type { ApiError } from '../../../app/api';
import { logOut, useSessionStore } from '../state/session';
import { ConfirmDialog } from './ConfirmDialog';
import { useHostLink } from './host-context';

export function useLogOut(): { dialog: ReactNode; busy: boolean; error: ApiError | null; start(): void } {
  const link = useHostLink();
  const revokes = useSessionStore((s) => s.session?.revokesOnLogout === true);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function run() {
    setBusy(true);
    setError(null);
    const problem = await logOut(link);
    setBusy(false);
    setAsking(false);
    if (problem) setError(problem);
  }

  const dialog = asking && (
    <ConfirmDialog
      title="Log out and revoke the token?"
      confirmLabel="Log out and revoke"
      tone="danger"
      busy={busy}
      onConfirm={() => void run()}
      onCancel={() => setAsking(false)}
    >
      <p>
        Sesame created this token when you logged in. Logging out revokes it at Vault, which also ends the leases and
        database users made with it. Connections that already hold a credential keep their open sessions.
      </p>
    </ConfirmDialog>
  );
  return {
    dialog,
    busy,
    error,
    start: () => {
      setError(null);
      if (revokes) setAsking(true);
      else void run();
    },
  };
}

/** The title a Log out button carries: what it will do. */
export function logOutHint(revokes: boolean | undefined): string {
  return revokes
    ? 'Log out: revokes the token Sesame created (asks first)'
    : 'Log out: forgets the token; it stays valid for the vault CLI and other tools';
}
