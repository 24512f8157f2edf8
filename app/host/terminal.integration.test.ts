// The in-app terminal through the host: a real shell on the sandbox sshd, reached through the
// broker's local endpoint with a Vault-signed certificate, its bytes relayed as AppApi events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { parseCommandInput, type AppEvent, type TerminalExit } from '../api';
import { createAppHost, type AppHost } from '.';
import { recordingPlatform } from './testing';

describe('in-app terminals', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  const events: AppEvent[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    host = await createAppHost({
      configPath: sandbox.configPath,
      platform: recordingPlatform(),
      mode: 'browser',
      log: silentLogger,
    });
    host.subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  const output = (id: string) =>
    events.map((e) => (e.event === 'terminal.output' && e.payload.id === id ? e.payload.data : '')).join('');
  const exitOf = (id: string) =>
    events.find(
      (e): e is { event: 'terminal.exit'; payload: TerminalExit } => e.event === 'terminal.exit' && e.payload.id === id,
    );
  /** Resolves once `check` holds on the events seen so far (the vitest timeout bounds it). */
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('refuses a connection that is off, naming it', async () => {
    await expect(host.call('terminal.open', { name: 'sandbox-ssh', cols: 80, rows: 24 })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/'sandbox-ssh' is off: turn it on first/),
    });
  });

  it('runs whoami in a shell on the real sshd, resizes, and closes', async () => {
    await host.call('connections.setEnabled', { name: 'sandbox-ssh', enabled: true });
    const { id } = await host.call('terminal.open', { name: 'sandbox-ssh', cols: 100, rows: 30 });

    await host.call('terminal.input', { id, data: 'whoami\n' });
    // The command's own line, not the echo of `whoami` or the prompt (`user@host`).
    await until(() => new RegExp(`[\r\n]${sandbox.sshd.user}\r\n`).test(output(id)));

    await host.call('terminal.resize', { id, cols: 132, rows: 40 });
    await host.call('terminal.input', { id, data: 'stty size\n' });
    await until(() => output(id).includes('40 132'));

    await host.call('terminal.close', { id });
    await until(() => exitOf(id) !== undefined);
    await expect(host.call('terminal.input', { id, data: 'ls\n' })).rejects.toMatchObject({
      code: 'not-found',
      field: 'id',
    });
  });

  it('reports the exit code when the shell exits by itself', async () => {
    const { id } = await host.call('terminal.open', { name: 'sandbox-ssh', cols: 80, rows: 24 });
    await host.call('terminal.input', { id, data: 'exit 3\n' });
    await until(() => exitOf(id) !== undefined);
    expect(exitOf(id)?.payload.code).toBe(3);
  });

  it('holds at most 8 terminals at once and says so', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++)
      ids.push((await host.call('terminal.open', { name: 'sandbox-ssh', cols: 80, rows: 24 })).id);
    await expect(host.call('terminal.open', { name: 'sandbox-ssh', cols: 80, rows: 24 })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('At most 8 terminals'),
    });
    for (const id of ids) await host.call('terminal.close', { id });
    await until(() => ids.every((id) => exitOf(id) !== undefined));
    const again = await host.call('terminal.open', { name: 'sandbox-ssh', cols: 80, rows: 24 });
    await host.call('terminal.close', again);
  });

  it('answers bad input with typed errors', async () => {
    await expect(host.call('terminal.input', { id: 'no-such-terminal', data: 'x' })).rejects.toMatchObject({
      code: 'not-found',
      field: 'id',
    });
    await expect(host.call('terminal.resize', { id: 'no-such-terminal', cols: 80, rows: 24 })).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(host.call('terminal.open', { name: 'no-such-connection', cols: 80, rows: 24 })).rejects.toMatchObject({
      code: 'not-found',
      field: 'name',
    });
    const postgres = host.currentConfig().connections.find((c) => c.protocol === 'postgres')!.name;
    await expect(host.call('terminal.open', { name: postgres, cols: 80, rows: 24 })).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('ssh connections only'),
    });
    await expect(host.call('terminal.close', { id: 'no-such-terminal' })).resolves.toEqual({});
  });

  it('refuses oversized or malformed input at the edge, naming the field', () => {
    // The bridges validate with these schemas before the host sees a call.
    const big = 'é'.repeat(40 * 1024); // 80 KiB as UTF-8, under the limit in characters
    expect(() => parseCommandInput('terminal.input', { id: 'x', data: big })).toThrow(
      expect.objectContaining({ code: 'invalid-input', field: 'data' }),
    );
    expect(() => parseCommandInput('terminal.input', { id: 'x', data: 'a'.repeat(64 * 1024 + 1) })).toThrow(
      expect.objectContaining({ field: 'data' }),
    );
    expect(() => parseCommandInput('terminal.open', { name: 'sandbox-ssh', cols: 0, rows: 24 })).toThrow(
      expect.objectContaining({ field: 'cols' }),
    );
    expect(() => parseCommandInput('terminal.resize', { id: 'x', cols: 80, rows: 24.5 })).toThrow(
      expect.objectContaining({ field: 'rows' }),
    );
  });
});
