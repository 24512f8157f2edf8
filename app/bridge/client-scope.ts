// What one client (a window's renderer) opened that must not outlive it: its in-app terminals,
// each an SSH session through a broker. The renderer closes them itself when its page goes
// away (pagehide), but a crashed or reloaded renderer may not get that call out; the shell then
// ends the client's scope and whatever it still held is closed here.
import type { ApiDispatcher, CallOutcome } from './dispatcher';

export interface ClientScope {
  /** Run a command for this client, noting the terminals it opens and closes. */
  call(command: unknown, input: unknown): Promise<CallOutcome>;
  /** Close every terminal this client still has open. */
  end(): Promise<void>;
}

export function createClientScope(dispatcher: ApiDispatcher): ClientScope {
  const terminals = new Set<string>();
  return {
    async call(command, input) {
      const outcome = await dispatcher.call(command, input);
      if (outcome.ok && command === 'terminal.open') terminals.add((outcome.value as { id: string }).id);
      if (command === 'terminal.close' && input && typeof input === 'object')
        terminals.delete(String((input as { id?: unknown }).id));
      return outcome;
    },
    async end() {
      const open = [...terminals];
      terminals.clear();
      await Promise.all(open.map((id) => dispatcher.call('terminal.close', { id })));
    },
  };
}
