// The in-app terminal's commands: checks that the connection exists, is ssh, is on and lets
// local clients in with `none`, then hands the work to terminal-sessions.ts.
import { ApiError } from '../../api';
import { requireConnection, type Handlers, type HostContext } from '../context';
import type { SshHostKeys } from '../ssh';
import { createTerminalSessions, type TerminalSessions } from '../terminal-sessions';

type TerminalCommand = 'terminal.open' | 'terminal.input' | 'terminal.resize' | 'terminal.close';

export interface TerminalCommands {
  handlers: Pick<Handlers, TerminalCommand>;
  /** Ends every open terminal (the host is closing). */
  close(): Promise<void>;
}

export function terminalCommands(ctx: HostContext, hostKeys: SshHostKeys, max = 8): TerminalCommands {
  const sessions: TerminalSessions = createTerminalSessions({
    hostKeys,
    emit: ctx.emit,
    log: ctx.log.child('terminal'),
    max,
  });
  return {
    handlers: {
      'terminal.open': async ({ name, cols, rows }) => {
        const config = requireConnection(ctx, name);
        if (config.protocol !== 'ssh') {
          throw new ApiError(
            'invalid-input',
            `'${name}' is a ${config.protocol} connection: the in-app terminal opens ssh connections only.`,
            'name',
          );
        }
        if (config.clientAuth.method === 'publicKey') {
          throw new ApiError(
            'conflict',
            `'${name}' asks local clients for a public key, which the in-app terminal does not hold: use the system terminal.`,
            'name',
          );
        }
        const view = ctx.connections.view(name);
        if (view.state !== 'ready') {
          throw new ApiError(
            'conflict',
            `'${name}' is ${view.state === 'error' ? `in error (${view.error ?? 'see its status'})` : view.state}: turn it on first.`,
            'name',
          );
        }
        const id = await sessions.open({ config, listen: view.listen, cols, rows });
        ctx.activity.add({
          level: 'info',
          kind: 'terminal-opened',
          message: `opened an in-app terminal on ${name}`,
          connection: name,
        });
        return { id };
      },
      'terminal.input': async ({ id, data }) => {
        sessions.input(id, data);
        return {};
      },
      'terminal.resize': async ({ id, cols, rows }) => {
        sessions.resize(id, cols, rows);
        return {};
      },
      'terminal.close': async ({ id }) => {
        sessions.close(id);
        return {};
      },
    },
    close: () => sessions.closeAll(),
  };
}
