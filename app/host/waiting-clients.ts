// Clients held for a Vault login, as the user hears of them: the session view lists them (the
// login panel and the tray name each one), and the first one of a wait raises a notification
// naming it — "psql (pid 4242) on orders-db is waiting for you to log in" — not one per client.
import type { ConnectionSupervisor } from '../../broker/supervisor';
import type { Platform } from '../platform';

export function reportWaitingClients(
  supervisor: Pick<ConnectionSupervisor, 'onEvent' | 'waitingClients'>,
  platform: Pick<Platform, 'notify'>,
  changed: () => void,
): () => void {
  return supervisor.onEvent((event) => {
    if (event.kind !== 'client-waiting' && event.kind !== 'client-done-waiting') return;
    changed();
    const waiting = supervisor.waitingClients();
    if (event.kind === 'client-waiting' && waiting.length === 1)
      platform.notify(
        'Log in to Vault',
        `${event.client ?? 'A client'} on ${event.connection} is waiting for you to log in to Vault in Sesame.`,
      );
  });
}
