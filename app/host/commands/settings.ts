// The non-secret settings the UI shows: paths, addresses and names, never a token.
import type { Handlers, HostContext } from '../context';

export function settingsHandlers(ctx: HostContext): Pick<Handlers, 'settings.get'> {
  return {
    'settings.get': async () => {
      const config = ctx.config();
      const auth = config.vault.auth;
      return {
        configPath: ctx.configPath,
        vault: {
          address: config.vault.address,
          ...(config.vault.namespace ? { namespace: config.vault.namespace } : {}),
          ...(config.vault.caCert ? { caCert: config.vault.caCert } : {}),
          authMethod: auth.method,
          ...('mount' in auth && auth.mount ? { authMount: auth.mount } : {}),
          ...('role' in auth && auth.role ? { authRole: auth.role } : {}),
        },
        agent: {
          ...(ctx.agent.proxy ? { listen: ctx.agent.proxy.address } : {}),
          ...(config.agent?.tokenSink ? { tokenSink: config.agent.tokenSink } : {}),
        },
        guis: config.connections.map((c) => ({ connection: c.name, ...(c.gui ? { gui: c.gui } : {}) })),
      };
    },
  };
}
