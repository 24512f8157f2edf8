// Feeds every store from the host's event stream. After each (re)connect it loads the current
// state once, since events sent while the link was down are gone; there is no polling.
import type { HostLink } from '../transport';
import { asApiError } from '../lib/errors';
import { addActivity, replaceActivity } from './activity';
import { applyConnection, replaceConnections } from './connections';
import { setLinkState, useHostStore } from './host';
import { applySession } from './session';

export function connectStores(link: HostLink): () => void {
  const unsubscribe = link.subscribe((event) => {
    switch (event.event) {
      case 'session.changed':
        return applySession(event.payload);
      case 'connection.changed':
        return applyConnection(event.payload);
      case 'activity':
        return addActivity(event.payload);
    }
  });

  async function load(): Promise<void> {
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
    setLinkState(state);
    if (state === 'open') void load();
  });
  setLinkState(link.state);
  if (link.state === 'open') void load();

  return () => {
    unsubscribe();
    stopWatching();
  };
}
