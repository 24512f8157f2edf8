// The command line of the Electron app: `Sesame [--config FILE] [--hidden]`. Electron and
// Chromium add switches of their own, so unknown arguments are left alone.
import path from 'node:path';
import { HIDDEN_FLAG } from './login-item';

export interface ShellArguments {
  /** From --config FILE or --config=FILE; absent means SESAME_CONFIG or the OS default. */
  configPath?: string;
  /** Started at login: stay in the tray. */
  hidden: boolean;
}

export function parseShellArguments(argv: readonly string[], cwd = process.cwd()): ShellArguments {
  const result: ShellArguments = { hidden: argv.includes(HIDDEN_FLAG) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let value: string | undefined;
    if (arg === '--config') {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error('--config needs a file path after it.');
      i++;
    } else if (arg.startsWith('--config=')) {
      value = arg.slice('--config='.length);
      if (!value) throw new Error('--config= needs a file path.');
    }
    if (value !== undefined) result.configPath = path.resolve(cwd, value);
  }
  return result;
}
