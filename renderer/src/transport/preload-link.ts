// The Electron link: the preload exposes the AppApi as `window.sesame` through contextBridge.
// IPC cannot drop, so the link is always open. Errors that crossed contextBridge lose their
// class; they are turned back into ApiErrors here.
import type { AppApi, CommandInput, CommandName, CommandOutput } from '../../../app/api';
import { asApiError } from '../lib/errors';
import type { HostLink } from './link';

export function createPreloadLink(api: AppApi): HostLink {
  return {
    kind: 'electron',
    state: 'open',
    async call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
      try {
        return await api.call(command, input);
      } catch (error) {
        throw asApiError(error);
      }
    },
    subscribe: (listener) => api.subscribe(listener),
    onState: () => () => {},
    close: () => {},
  };
}
