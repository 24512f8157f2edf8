// The clients held until the user logs in to Vault, on the login form: who (the client, the
// connection), and for how long. They connect as soon as the login succeeds.
import type { SessionView } from '../../../app/api';
import { useNow } from '../lib/use-now';

function waited(since: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function WaitingClients({ waiting, holdMs }: { waiting: NonNullable<SessionView['waiting']>; holdMs?: number }) {
  const now = useNow();
  return (
    <div className="notice notice-warn waiting-clients" role="status" data-testid="waiting-clients">
      <strong>
        {waiting.length === 1 ? 'A client is' : `${waiting.length} clients are`} waiting for you to log in
      </strong>
      <ul>
        {waiting.map((w) => (
          <li key={`${w.connection}|${w.client}|${w.since}`}>
            {w.client} on <strong>{w.connection}</strong> · waiting {waited(w.since, now)}
          </li>
        ))}
      </ul>
      <span className="muted">
        They connect as soon as you log in
        {holdMs ? ` (each waits up to ${Math.round(holdMs / 1000)} s)` : ''}.
      </span>
    </div>
  );
}
