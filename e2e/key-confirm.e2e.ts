// Journey (issue #19 item 5): an ssh-agent connection with key.confirm asks before a key is used.
// A real `ssh` through the agent socket waits while the window names it — the process, its pid,
// its program and where it is going — (and in the desktop app a notification does); Allow once
// lets the login run; the next ssh is asked again, and Deny makes ssh report that the agent
// refused. Browser and Electron-shaped modes.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { editedSandboxConfig } from './sandbox-config';
import { startClient } from './client-process';
import { shootSchemes } from './screens';
import { expect, test } from './testing';

type Info = { configPath: string; sshd: { port: number; user: string; knownHostsLine: string } };
let world: SandboxApp<Info>;
let dir: string;
let socket: string;
let knownHosts: string;

test.beforeAll(async ({ appMode }) => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-confirm-'));
  socket = path.join(dir, 'agent', 'agent.sock');
  await mkdir(path.dirname(socket), { mode: 0o700 });
  world = await startSandboxApp<Info>({
    mode: appMode,
    configFor: editedSandboxConfig<Info>(dir, (config, info) => {
      config.connections.push({
        name: 'deploy-key',
        protocol: 'ssh-agent',
        listen: `unix:${socket}`,
        credentials: {
          from: 'vault-ssh-sign',
          mount: 'ssh-client-signer',
          role: 'dev',
          principals: [info.sshd.user],
        },
        key: { confirm: true },
      });
    }),
  });
  knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, `${world.info.sshd.knownHostsLine}\n`);
});

test.afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** ssh with only this agent in reach (no user config or key files), running while the test goes on. */
function startSsh(command: string) {
  const { port, user } = world.info.sshd;
  return startClient(
    'ssh',
    ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`].concat([
      '-o',
      'StrictHostKeyChecking=yes',
      '-p',
      String(port),
      `${user}@127.0.0.1`,
      command,
    ]),
    { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SSH_AUTH_SOCK: socket },
  );
}

test('key.confirm: ssh waits for the answer in the window; Allow once lets it in, Deny refuses', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);
  await page.getByRole('switch', { name: 'deploy-key', exact: true }).click();
  await expect(page.getByTestId('connection-deploy-key')).toHaveAttribute('data-state', 'ready');
  const { port, user } = world.info.sshd;

  const allowed = startSsh('whoami');
  try {
    const prompt = page.getByRole('alertdialog', { name: /wants to use the key of deploy-key/ });
    await expect(prompt).toBeVisible();
    await expect(prompt).toContainText(
      `ssh (pid ${allowed.pid}) wants to use the key of deploy-key to log in to ${user}@127.0.0.1 port ${port}`,
    );
    await expect(prompt).toContainText(/Program\s*\/usr\/bin\/ssh/);
    await expect(prompt).toContainText(/Denied by itself in \d+ s/);
    if (world.desktop) {
      const { notifications } = await world.desktop.control.state();
      expect(notifications.map((n) => `${n.title}: ${n.body}`)).toContainEqual(
        expect.stringContaining(
          `Allow use of your SSH key?: ssh (pid ${allowed.pid}) wants to use the key of deploy-key`,
        ),
      );
    }
    await shootSchemes(page, testInfo, 'key-confirm');
    await prompt.getByRole('button', { name: 'Allow once' }).click();
    const result = await allowed.done;
    expect(result.stdout).toBe(user); // the login ran, with the key Vault signed
    await expect(prompt).toHaveCount(0);
  } finally {
    allowed.kill();
  }

  // Once is once: the next ssh is asked again, and a Deny reaches ssh as the agent's refusal.
  const denied = startSsh('echo must-not-run');
  try {
    const prompt = page.getByRole('alertdialog', { name: new RegExp(`ssh \\(pid ${denied.pid}\\)`) });
    await prompt.getByRole('button', { name: 'Deny' }).click();
    const result = await denied.done;
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/agent refused operation/);
    await expect(prompt).toHaveCount(0);
  } finally {
    denied.kill();
  }

  await page.getByRole('tab', { name: 'Activity' }).click();
  await expect(page.getByText(new RegExp(`ssh \\(pid ${denied.pid}\\) on deploy-key: denied`))).toBeVisible();
});
