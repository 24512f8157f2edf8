// Issue 17, item 6: sockets and the token sink against another local user and against a
// settings change that names someone else's file.
// - A unix socket placed in a directory another user owns (or can write) can be replaced by
//   them: our clients would then talk to their listener. Sesame refuses such a directory.
// - The token sink set from Settings may not name an existing file: Sesame replaces the sink at
//   every login and deletes it at logout, and it never destroys what it did not create.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListener } from '../broker/listener';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { createPeriodicToken, startHostWorld } from './testing/host-world';
import { canMakeUsers, createOtherUser, type OtherUser } from './testing/other-user';

describe.skipIf(!canMakeUsers())('unix sockets in a directory another user controls', () => {
  let attacker: OtherUser;
  let shared: string;

  beforeAll(async () => {
    attacker = await createOtherUser();
    shared = await mkdtemp(path.join(tmpdir(), 'sesame-shared-'));
    await chmod(shared, 0o755);
  });

  afterAll(async () => {
    await attacker?.remove();
    await rm(shared, { recursive: true, force: true });
  });

  it('refuses a socket directory that belongs to another user (who could replace the socket)', async () => {
    const theirs = path.join(shared, 'theirs');
    await mkdir(theirs, { mode: 0o777 });
    execFileSync('chown', [attacker.name, theirs]);
    const socketPath = path.join(theirs, 'orders.sock');
    let listener: Awaited<ReturnType<typeof startListener>> | undefined;
    try {
      listener = await startListener(`unix:${socketPath}`, (socket) => socket.end('sesame\n'));
    } catch (error) {
      expect((error as Error).message).toMatch(/belongs to another user/);
      return;
    }
    // Sesame listened: the attack goes on. The owner of the directory swaps the socket for theirs.
    const swap = await attacker.program(
      'swap.mjs',
      `import net from 'node:net'; import { rmSync } from 'node:fs';
rmSync(${JSON.stringify(socketPath)}, { force: true });
net.createServer((s) => s.end('attacker\\n')).listen(${JSON.stringify(socketPath)}, () => console.log('listening'));`,
    );
    const running = attacker.start(swap);
    await running.waitFor(/listening/);
    const answer = await new Promise<string>((resolve) => {
      const client = net.connect(socketPath);
      client.on('data', (chunk) => resolve(chunk.toString().trim()));
      client.on('error', (error) => resolve(`error: ${error.message}`));
    });
    await running.stop();
    await listener.close();
    expect.fail(
      `Sesame listened in a directory another user owns, and they took its clients (a client reached: ${answer})`,
    );
  });

  it('refuses a socket directory of ours that others can write or enter', async () => {
    const open = path.join(shared, 'open');
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o777);
    await expect(startListener(`unix:${path.join(open, 'db.sock')}`, () => {})).rejects.toThrow(
      /can be entered by other users \(mode 777\).*chmod 700/,
    );
    const mine = path.join(shared, 'mine');
    const listener = await startListener(`unix:${path.join(mine, 'db.sock')}`, () => {});
    expect((await stat(mine)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(mine, 'db.sock'))).mode & 0o777).toBe(0o600);
    await listener.close();
  });
});

describe('the token sink set from Settings', () => {
  let vault: VaultDevServer;

  beforeAll(async () => {
    vault = await startVaultDev();
  });

  afterAll(async () => {
    await vault?.stop();
  });

  it('may not name an existing file: the file is neither replaced nor deleted', async () => {
    const world = await startHostWorld({
      vaultAddr: vault.address,
      token: await createPeriodicToken(vault.address, vault.rootToken),
      connections: [],
    });
    const notes = path.join(world.dir, 'notes.txt');
    await writeFile(notes, 'my notes\n', { mode: 0o644 });
    try {
      const outcome = await world.host.call('settings.update', { agent: { tokenSink: notes } }).then(
        () => 'accepted',
        (error: unknown) => error as Error & { field?: string },
      );
      if (outcome === 'accepted') {
        // Sesame took it: the file now holds the token; at logout it is gone.
        await world.host.call('session.logout', {}).catch(() => {});
        const left = await readFile(notes, 'utf8').catch(() => '(deleted)');
        expect.fail(`settings.update made ${notes} the token sink; after logout it holds: ${left}`);
      }
      expect(outcome).toMatchObject({ field: 'agent.tokenSink', message: expect.stringMatching(/already exists/) });
      expect(await readFile(notes, 'utf8')).toBe('my notes\n');
      // A new path is fine.
      const sink = path.join(world.dir, 'sink', 'token');
      await mkdir(path.dirname(sink));
      await world.host.call('settings.update', { agent: { tokenSink: sink } });
    } finally {
      await world.close();
    }
  });
});
