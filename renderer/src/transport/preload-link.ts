// The Electron link: the preload exposes `window.sesame` (app/api's PreloadBridge) through
// contextBridge. A call resolves with an outcome, which becomes the command's value or an
// ApiError here — checked against the contract exactly as the browser link checks its
// results. IPC cannot drop, so the link is always open.
import type { CommandInput, CommandName, CommandOutput, PreloadBridge } from '../../../app/api';
import { asApiError } from '../lib/errors';
import { eventOf, valueOf } from './decode';
import type { HostLink } from './link';

export function createPreloadLink(bridge: PreloadBridge): HostLink {
  return {
    kind: 'electron',
    state: 'open',
    async call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
      let outcome: unknown;
      try {
        outcome = await bridge.call(command, input);
      } catch (error) {
        // Only a malformed call is rejected by the preload itself (a bad command name).
        throw asApiError(error);
      }
      return valueOf(command, outcome);
    },
    subscribe(listener) {
      return bridge.subscribe((message) => {
        const event = eventOf(message);
        if (event) listener(event);
      });
    },
    onState: () => () => {},
    close: () => {},
  };
}
