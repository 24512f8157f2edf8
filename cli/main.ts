// `sesame <command>`: the command-line shell over the same engine the tray app runs.
import { parseArgs } from 'node:util';
import { runDaemon } from './daemon';
import { runSandbox } from './sandbox';
import { runStart } from './start';

const USAGE = `Usage: sesame <command> [options]

Commands:
  start [--browser] [--config FILE] [--port N] [--open]
                       Open Sesame: the Electron window where Electron is installed,
                       otherwise (or with --browser) the UI on http://127.0.0.1 in a browser.
                       With no config file, starts the sandbox as a working example.
  sandbox [--json]     Start the sandbox: Vault dev server, PostgreSQL, ... on loopback,
                       print how to use them, stay up until Ctrl-C, then clean up.
  daemon --config FILE Run the agent and every broker in FILE with no UI (logs to stderr).

Environment: SESAME_CONFIG overrides the default config path.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start': {
        const { values } = parseArgs({ args: rest, options: { browser: { type: 'boolean' }, config: { type: 'string' }, port: { type: 'string' }, open: { type: 'boolean' } } });
        return await runStart(values);
      }
      case 'sandbox': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
        return await runSandbox(values);
      }
      case 'daemon': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
        return await runDaemon(values);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command ? 0 : 2;
      default:
        console.error(`sesame: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    // Expected failures (bad config, busy port) are one clear message, not a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`sesame ${command}: ${message}`);
    return 1;
  }
}
