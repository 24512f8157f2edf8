// Desktop notifications for the two moments a user must hear about even with the window
// hidden: the Vault session is about to expire, and a connection has failed.
import { timeUntil } from './tray-menu';
import type { ViewMirror, ViewSnapshot } from './view-mirror';

export interface ShellNotification {
  title: string;
  body: string;
}

/** The notifications a change from `previous` to `next` deserves (one per transition). */
export function notificationsFor(previous: ViewSnapshot, next: ViewSnapshot, now: Date): ShellNotification[] {
  const out: ShellNotification[] = [];
  if (next.session.state === 'expiring' && previous.session.state !== 'expiring') {
    const left = next.session.expiresAt ? timeUntil(next.session.expiresAt, now) : undefined;
    out.push({
      title: 'Vault session expiring',
      body: `${left && left !== 'now' ? `Your session ends in ${left}.` : 'Your session is about to end.'} Log in again to keep your connections working.`,
    });
  }
  const before = new Map(previous.connections.map((c) => [c.name, c.state]));
  for (const connection of next.connections) {
    if (connection.state === 'error' && before.get(connection.name) !== 'error') {
      out.push({
        title: `Connection ${connection.name} failed`,
        body: connection.error ?? 'Open Sesame to see what went wrong.',
      });
    }
  }
  return out;
}

/** Notify on every change of the mirror; returns the function that stops it. */
export function watchNotifications(
  mirror: ViewMirror,
  notify: (title: string, body: string) => void,
  now: () => Date = () => new Date(),
): () => void {
  return mirror.onChange((next, previous) => {
    for (const { title, body } of notificationsFor(previous, next, now())) notify(title, body);
  });
}
