// Listing, switching and moving connections. Moving (setListen) checks the new address before
// anything changes — form, loopback, a fixed port, another connection's address, a port some
// other program holds — then writes it to the config file and restarts the connection if on.
import { startListener } from '../../../broker/listener';
import { ApiError } from '../../api';
import { isLoopbackHost, setConnectionListen } from '../../config';
import { requireConnection, type Handlers, type HostContext } from '../context';

/** Refuses addresses other machines could reach, and port 0 (the port must stay the same). */
export function checkLocalAddress(listen: string): void {
  if (listen.startsWith('unix:')) return;
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  const port = Number(listen.slice(colon + 1));
  if (!isLoopbackHost(host)) {
    throw new ApiError(
      'invalid-input',
      `${listen} is not a loopback address: anyone who reaches it would get in without a password (use 127.0.0.1, [::1] or localhost)`,
      'listen',
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ApiError(
      'invalid-input',
      `choose a fixed port between 1 and 65535 (not ${listen.slice(colon + 1)})`,
      'listen',
    );
}

/** Binds and releases `listen` to learn whether another program holds it. */
export async function ensureFree(listen: string, field = 'listen'): Promise<void> {
  try {
    const probe = await startListener(listen, (socket) => socket.destroy());
    await probe.close();
  } catch (error) {
    throw new ApiError('conflict', `${(error as Error).message}; choose another address (nothing was changed)`, field);
  }
}

export function connectionHandlers(
  ctx: HostContext,
): Pick<Handlers, 'connections.list' | 'connections.setEnabled' | 'connections.setListen'> {
  return {
    'connections.list': async () => ctx.connections.list(),
    'connections.setEnabled': async ({ name, enabled }) => {
      requireConnection(ctx, name);
      return ctx.connections.setEnabled(name, enabled);
    },
    'connections.setListen': async ({ name, listen }) => {
      const config = requireConnection(ctx, name);
      if (config.listen === listen) return ctx.connections.view(name);
      checkLocalAddress(listen);
      if (config.protocol === 'ssh-agent' && !listen.startsWith('unix:')) {
        throw new ApiError(
          'invalid-input',
          'an ssh-agent listens on a unix socket (unix:/path): SSH_AUTH_SOCK is one',
          'listen',
        );
      }
      const other = ctx.connections.configs().find((c) => c.name !== name && c.listen === listen);
      if (other) throw new ApiError('conflict', `${listen} is already the address of '${other.name}'`, 'listen');
      await ensureFree(listen);
      // The file first: if it cannot be written, nothing running changes either.
      await setConnectionListen(ctx.configPath, name, listen);
      const current = ctx.config();
      const next = {
        ...current,
        connections: current.connections.map((c) => (c.name === name ? { ...c, listen } : c)),
      };
      await ctx.applyConfig(next, `${name} moved from ${config.listen} to ${listen}`);
      return ctx.connections.view(name);
    },
  };
}
