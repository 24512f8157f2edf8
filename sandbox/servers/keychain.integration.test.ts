import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeychain, type Keychain } from './keychain';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** Run an ES module snippet in a fresh node process that has `env` (keytar resolves from the repo). */
function runNode(
  source: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? 1 : 0, stdout, stderr });
      },
    );
  });
}

// keytar is an optional native module (built at npm install); without it say so and skip.
const probe = spawnSync(process.execPath, ['-e', "require('keytar')"], { cwd: REPO_ROOT, encoding: 'utf8' });
const skipped =
  probe.status === 0
    ? ''
    : ` — skipped: the OS keychain module is not installed (${probe.stderr.split('\n').find((l) => l.startsWith('Error')) ?? 'keytar does not load'})`;

describe.skipIf(skipped)(`startKeychain${skipped}`, () => {
  let keychain: Keychain;
  beforeAll(async () => {
    keychain = await startKeychain();
  });
  afterAll(async () => {
    await keychain?.stop();
  });

  it('gives a child process a keychain keytar can set, get and delete in', async () => {
    const result = await runNode(
      `import keytar from 'keytar';
       await keytar.setPassword('sesame-keychain-test', 'alice', 'correct horse');
       const got = await keytar.getPassword('sesame-keychain-test', 'alice');
       const deleted = await keytar.deletePassword('sesame-keychain-test', 'alice');
       const after = await keytar.getPassword('sesame-keychain-test', 'alice');
       console.log(JSON.stringify({ got, deleted, after }));`,
      keychain.env,
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ got: 'correct horse', deleted: true, after: null });
  });

  it('keeps a secret across processes that share the env', async () => {
    const set = await runNode(
      `import keytar from 'keytar'; await keytar.setPassword('sesame-keychain-test', 'bob', 'shared');`,
      keychain.env,
    );
    expect(set.code).toBe(0);
    const get = await runNode(
      `import keytar from 'keytar'; console.log(await keytar.getPassword('sesame-keychain-test', 'bob'));`,
      keychain.env,
    );
    expect(get.stdout.trim()).toBe('shared');
  });

  it('stop() ends the bus so the keychain is gone', async () => {
    const other = await startKeychain();
    const socket = other.env.DBUS_SESSION_BUS_ADDRESS.replace(/^unix:path=/, '');
    expect(fs.existsSync(socket)).toBe(true);
    await other.stop();
    expect(fs.existsSync(path.dirname(socket))).toBe(false);
    const result = await runNode(`import keytar from 'keytar'; await keytar.getPassword('x', 'y');`, other.env);
    expect(result.code).not.toBe(0);
  });
});
