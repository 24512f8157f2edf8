// `sesame <command>`: the command-line shell over the same engine the tray app runs.
// Each command's module is loaded only when it runs: the daemon must not load the sandbox's
// servers (whose OIDC provider prints a warning into the daemon's JSON log on Node 20).
// `--help` / `-h` after any command prints that command's help; `sesame help COMMAND` too.
import { parseArgs, type ParseArgsConfig } from 'node:util';

interface Command {
  /** The synopsis and what it does, as `sesame --help` lists it. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: boolean;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  start: {
    usage: `start [--browser] [--config FILE] [--port N] [--open]
                       Open Sesame: the Electron window where Electron is installed,
                       otherwise (or with --browser) the UI on http://127.0.0.1 in a browser.
                       With no config file, starts the sandbox as a working example.
                       --port N: the browser UI's port (default: any free one);
                       --open: open the UI in the system browser.`,
    options: {
      browser: { type: 'boolean' },
      config: { type: 'string' },
      port: { type: 'string' },
      open: { type: 'boolean' },
    },
    run: async (values) => (await import('./start')).runStart(values),
  },
  sandbox: {
    usage: `sandbox [--json]     Start the sandbox on loopback: a Vault dev server, PostgreSQL, MariaDB,
                       sshd and an OIDC identity provider; print how to use them, stay up
                       until Ctrl-C, then clean up. --json: one line of JSON instead.`,
    options: { json: { type: 'boolean' } },
    run: async (values) => (await import('./sandbox')).runSandbox(values),
  },
  daemon: {
    usage: `daemon --config FILE [--health ADDR]
                       Run the agent and every broker in FILE with no UI: JSON logs on
                       stderr, /live and /ready on ADDR (or daemon.health), reload on
                       SIGHUP and when FILE changes.`,
    options: { config: { type: 'string' }, health: { type: 'string' } },
    run: async (values) => (await import('./daemon')).runDaemon(values),
  },
  'import-secretless': {
    usage: `import-secretless FILE [--out FILE] [--vault-addr URL] [--skip-unsupported]
                       Turn a Secretless secretless.yml (version 2) into a Sesame config.`,
    options: { out: { type: 'string' }, 'vault-addr': { type: 'string' }, 'skip-unsupported': { type: 'boolean' } },
    positionals: true,
    run: async (values, positionals) => {
      if (positionals.length > 1) throw new Error(`one file at a time (got ${positionals.length})`);
      const out = values.out as string | undefined;
      const vaultAddr = values['vault-addr'] as string | undefined;
      return (await import('./import-secretless')).runImportSecretless(positionals[0], {
        ...(out ? { out } : {}),
        ...(vaultAddr ? { vaultAddr } : {}),
        ...(values['skip-unsupported'] ? { skipUnsupported: true } : {}),
      });
    },
  },
};

const USAGE = `Usage: sesame <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n')}

Run 'sesame <command> --help' for one command.
Environment: SESAME_CONFIG overrides the default config path.`;

const commandHelp = (name: string) => `Usage: sesame ${COMMANDS[name]!.usage}`;
const HELP = new Set(['--help', '-h']);

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(USAGE);
    return 2;
  }
  if (HELP.has(name) || name === 'help') {
    const about = rest[0];
    if (name === 'help' && about && COMMANDS[about]) console.log(commandHelp(about));
    else console.log(USAGE);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`sesame: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.some((arg) => HELP.has(arg))) {
    console.log(commandHelp(name));
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: command.positionals ?? false,
    });
    return await command.run(values as Record<string, string | boolean | undefined>, positionals);
  } catch (error) {
    // Expected failures (bad config, busy port, a mistyped option) are one clear message, not a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    const usage = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? `\n\n${commandHelp(name)}` : '';
    console.error(`sesame ${name}: ${message}${usage}`);
    return (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
