// "Open in …" and "Open terminal": a plan from app/launchers (URL or argv, never a secret),
// carried out by the shell's Platform. Only known GUI names come from the UI; command
// templates come only from the config file the user wrote.
import { ApiError, type LaunchResult } from '../../api';
import { planGuiLaunch, planTerminal, type LaunchPlan, type LaunchTarget } from '../../launchers';
import { requireConnection, type Handlers, type HostContext } from '../context';

function launchTarget(ctx: HostContext, name: string): LaunchTarget {
  const config = requireConnection(ctx, name);
  const view = ctx.connections.view(name);
  if (view.state !== 'ready') {
    throw new ApiError(
      'conflict',
      `'${name}' is ${view.state === 'error' ? `in error (${view.error ?? 'see its status'})` : view.state}: turn it on first`,
      'name',
    );
  }
  return {
    name,
    protocol: config.protocol,
    listen: view.listen,
    ...(config.protocol === 'postgres' || config.protocol === 'mysql'
      ? config.target.database
        ? { database: config.target.database }
        : {}
      : {}),
    ...(config.protocol === 'ssh' && config.target.user ? { user: config.target.user } : {}),
  };
}

async function carryOut(ctx: HostContext, name: string, plan: LaunchPlan): Promise<LaunchResult> {
  try {
    if (plan.how === 'url') await ctx.platform.openExternal(plan.url);
    else if (plan.how === 'terminal') await ctx.platform.openTerminal(plan.argv, { title: `Sesame: ${name}` });
    else await ctx.platform.launch(plan.argv);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    ctx.activity.add({
      level: 'error',
      kind: 'open-failed',
      message: `could not open ${plan.opened}: ${message}`,
      connection: name,
    });
    throw new ApiError(
      /ENOENT|not found/i.test(message) ? 'not-found' : 'internal',
      `Could not open ${plan.opened}: ${message}`,
    );
  }
  ctx.activity.add({ level: 'info', kind: 'opened', message: `opened ${plan.opened}`, connection: name });
  return {
    connection: name,
    how: plan.how,
    opened: plan.opened,
    ...(plan.how === 'url' ? { url: plan.url } : {}),
    ...(plan.how === 'command' && plan.hint ? { hint: plan.hint } : {}),
  };
}

export function launchHandlers(ctx: HostContext): Pick<Handlers, 'connections.openGui' | 'connections.openTerminal'> {
  return {
    'connections.openGui': async ({ name, gui }) => {
      const target = launchTarget(ctx, name);
      const plan = planGuiLaunch(target, {
        ...(gui ? { choice: gui } : {}),
        ...(ctx.connections.config(name)?.gui ? { configured: ctx.connections.config(name)!.gui } : {}),
      });
      return carryOut(ctx, name, plan);
    },
    'connections.openTerminal': async ({ name }) => carryOut(ctx, name, planTerminal(launchTarget(ctx, name))),
  };
}
