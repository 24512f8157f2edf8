// The config file and the activity log: reload on request, list what happened.
import type { Handlers, HostContext } from '../context';

export function configHandlers(ctx: HostContext): Pick<Handlers, 'config.reload' | 'activity.list'> {
  return {
    'config.reload': async () => ctx.reloadFromFile(),
    'activity.list': async () => ctx.activity.list(),
  };
}
