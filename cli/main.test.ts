// The command line's own words: help for every command, a mistyped option named with the
// command's usage (exit 2), an unknown command with the list.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main';

const printed = () => {
  const out = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  return {
    out: () => out.mock.calls.map((c) => c.join(' ')).join('\n'),
    err: () => err.mock.calls.map((c) => c.join(' ')).join('\n'),
  };
};

afterEach(() => vi.restoreAllMocks());

describe('sesame --help', () => {
  it.each([
    [['start', '--help'], 'start'],
    [['start', '--browser', '-h'], 'start'],
    [['daemon', '--help'], 'daemon'],
    [['sandbox', '-h'], 'sandbox'],
    [['help', 'import-secretless'], 'import-secretless'],
  ])('%j prints the help of %s and exits 0', async (argv, command) => {
    const io = printed();
    expect(await main(argv)).toBe(0);
    expect(io.out()).toMatch(new RegExp(`^Usage: sesame ${command} `));
    expect(io.err()).toBe('');
  });

  it('the list names every command and how to get one command’s help', async () => {
    const io = printed();
    expect(await main(['--help'])).toBe(0);
    for (const command of ['start', 'sandbox', 'daemon', 'import-secretless'])
      expect(io.out()).toContain(`  ${command} `);
    expect(io.out()).toContain("Run 'sesame <command> --help' for one command.");
  });

  it('a mistyped option is named, with the command’s usage, exit 2', async () => {
    const io = printed();
    expect(await main(['start', '--brwoser'])).toBe(2);
    expect(io.err()).toMatch(/^sesame start: Unknown option '--brwoser'/);
    expect(io.err()).toContain('Usage: sesame start [--browser]');
  });

  it('an unknown command is named, with the list, exit 2', async () => {
    const io = printed();
    expect(await main(['strat'])).toBe(2);
    expect(io.err()).toMatch(/^sesame: unknown command 'strat'/);
  });
});
