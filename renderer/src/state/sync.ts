// Feeds every store from the host's event stream. After each (re)connect, and when the host
// says it started again (`app.reset`), it loads the current state once, since events sent
// while the link was down are gone; there is no polling.
// Leases and settings load on their own: a host without them still shows everything else.
import type { AppApi } from '../../../app/api';
import type { HostLink } from '../transport';
import { asApiError } from '../lib/errors';
import { addActivity, replaceActivity } from './activity';
import { applyConnection, removeConnection, replaceConnections } from './connections';
import { setLinkState, useHostStore } from './host';
import { queueLeaseChange, queueLeaseRemoval, replaceLeases, setLeasesUnavailable } from './leases';
import { applyKeyRequests, loadKeyRequests } from './key-approvals';
import { applySession } from './session';
import { loadSettings } from './settings';
import { attachedTerminalIds, routeTerminalEvent } from './terminals';
import { applyVaultHealth, loadVaultHealth } from './vault';

export function connectStores(link: HostLink): () => void {
  const unsubscribe = link.subscribe((event) => {
    switch (event.event) {
      case 'session.changed':
        return applySession(event.payload);
      case 'connection.changed':
        return applyConnection(event.payload);
      case 'connection.removed':
        return removeConnection(event.payload.name);
      case 'activity':
        return addActivity(event.payload);
      case 'lease.changed':
        return queueLeaseChange(event.payload);
      case 'lease.removed':
        return queueLeaseRemoval(event.payload.id);
      case 'terminal.output':
      case 'terminal.exit':
        return routeTerminalEvent(event);
      case 'vault.health':
        return applyVaultHealth(event.payload);
      case 'keys.requests':
        return applyKeyRequests(event.payload);
      case 'config.file':
        // The file was read again: what it set (agent, "Open in …") and its problem, if any.
        return void loadSettings(link);
      case 'app.reset':
        return void load();
    }
  });

  async function load(): Promise<void> {
    void loadLeases(link);
    void loadSettings(link);
    void loadVaultHealth(link);
    void loadKeyRequests(link);
    try {
      const [info, session, connections, activity] = await Promise.all([
        link.call('app.info', {}),
        link.call('session.get', {}),
        link.call('connections.list', {}),
        link.call('activity.list', {}),
      ]);
      useHostStore.setState({ info, syncError: null });
      applySession(session);
      replaceConnections(connections);
      replaceActivity(activity);
    } catch (error) {
      useHostStore.setState({ syncError: asApiError(error).message });
    }
  }

  const stopWatching = link.onState((state) => {
    setLinkState(state, link.denial);
    if (state === 'open') void load();
  });
  setLinkState(link.state, link.denial);
  if (link.state === 'open') void load();

  // A closed (or reloaded) window takes its terminals with it: their SSH sessions end now
  // rather than lingering on the host with nobody to type into them.
  const endTerminals = () => {
    for (const id of attachedTerminalIds()) void link.call('terminal.close', { id }).catch(() => {});
  };
  window.addEventListener('pagehide', endTerminals);

  return () => {
    unsubscribe();
    stopWatching();
    window.removeEventListener('pagehide', endTerminals);
  };
}

async function loadLeases(api: AppApi): Promise<void> {
  try {
    replaceLeases(await api.call('leases.list', {}));
  } catch (error) {
    const problem = asApiError(error);
    setLeasesUnavailable(problem.code === 'unknown-command' ? 'unsupported' : 'failed', problem.message);
  }
}
