// `sesame <command>`: the command-line shell over the same engine the tray app runs.
import { parseArgs } from 'node:util';
// Each command's module is loaded only when it runs: the daemon must not load the sandbox's
// servers (whose OIDC provider prints a warning into the daemon's JSON log on Node 20).

const USAGE = `Usage: sesame <command> [options]

Commands:
  start [--browser] [--config FILE] [--port N] [--open]
                       Open Sesame: the Electron window where Electron is installed,
                       otherwise (or with --browser) the UI on http://127.0.0.1 in a browser.
                       With no config file, starts the sandbox as a working example.
  sandbox [--json]     Start the sandbox: Vault dev server, PostgreSQL, ... on loopback,
                       print how to use them, stay up until Ctrl-C, then clean up.
  daemon --config FILE [--health ADDR]
                       Run the agent and every broker in FILE with no UI: JSON logs on
                       stderr, /live and /ready on ADDR (or daemon.health), reload on
                       SIGHUP and when FILE changes.
  import-secretless FILE [--out FILE] [--vault-addr URL] [--skip-unsupported]
                       Turn a Secretless secretless.yml (version 2) into a Sesame config.

Environment: SESAME_CONFIG overrides the default config path.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start': {
        const { values } = parseArgs({
          args: rest,
          options: {
            browser: { type: 'boolean' },
            config: { type: 'string' },
            port: { type: 'string' },
            open: { type: 'boolean' },
          },
        });
        return await (await import('./start')).runStart(values);
      }
      case 'sandbox': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
        return await (await import('./sandbox')).runSandbox(values);
      }
      case 'daemon': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string' }, health: { type: 'string' } },
        });
        return await (await import('./daemon')).runDaemon(values);
      }
      case 'import-secretless': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            out: { type: 'string' },
            'vault-addr': { type: 'string' },
            'skip-unsupported': { type: 'boolean' },
          },
        });
        if (positionals.length > 1) throw new Error(`one file at a time (got ${positionals.length})`);
        return await (
          await import('./import-secretless')
        ).runImportSecretless(positionals[0], {
          ...(values.out ? { out: values.out } : {}),
          ...(values['vault-addr'] ? { vaultAddr: values['vault-addr'] } : {}),
          ...(values['skip-unsupported'] ? { skipUnsupported: true } : {}),
        });
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
