// Journey (d): Open terminal on the sandbox's SSH connection; the in-app terminal (xterm.js)
// runs `whoami` on the real sshd through the broker and shows the sshd user.
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';

let world: SandboxApp<{ configPath: string; sshd: { user: string } }>;
let info: { configPath: string; sshd: { user: string } };

test.beforeAll(async ({ appMode }) => {
  world = await startSandboxApp({ mode: appMode });
  info = world.info;
});

test.afterAll(async () => {
  await world?.stop();
});

test('Open terminal on sandbox-ssh: whoami in the in-app terminal shows the sshd user', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);

  const row = page.getByTestId('connection-sandbox-ssh');
  await page.getByRole('switch', { name: 'sandbox-ssh', exact: true }).click();
  await expect(row).toHaveAttribute('data-state', 'ready');

  await row.getByRole('button', { name: 'Open a terminal to sandbox-ssh in Sesame' }).click();
  const terminal = page.getByTestId('terminal-sandbox-ssh');
  await expect(terminal).toHaveAttribute('data-state', 'open');
  const screen = terminal.locator('.xterm-rows');
  await expect(screen).toContainText(`${info.sshd.user}@`); // the prompt

  // Keyboard focus is in the terminal: typing goes to the shell.
  await page.keyboard.type('whoami');
  await page.keyboard.press('Enter');
  const lines = async () =>
    (await screen.locator(':scope > div').allInnerTexts()).map((l) => l.replace(/\u00a0/g, ' ').trim());
  await expect.poll(lines).toContain(info.sshd.user);
  await page.screenshot({ path: testInfo.outputPath('terminal-whoami.png'), fullPage: true });

  // The keyboard way out: Tab and Escape stay with the shell; Ctrl+] (said under the screen)
  // moves focus to the terminal's name in the strip, and Tab goes on from there.
  await expect(terminal.getByTestId('terminal-keys')).toHaveText(
    'Tab and Esc go to the shell. Ctrl+] leaves the terminal.',
  );
  const inTerminal = () =>
    terminal.evaluate((node) =>
      node.contains((node.ownerDocument as { activeElement: unknown }).activeElement as never),
    );
  await page.keyboard.press('Tab');
  await page.keyboard.press('Escape');
  expect(await inTerminal()).toBe(true);
  await page.keyboard.press('Control+]');
  await expect(page.getByRole('button', { name: 'sandbox-ssh', pressed: true })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Close the terminal on sandbox-ssh' })).toBeFocused();

  await page.getByRole('button', { name: 'Close the terminal on sandbox-ssh' }).click();
  await expect(terminal).toHaveCount(0);
  await expect.poll(() => closedTerminals()).toBe(1);

  // A page that goes away with a terminal open takes its SSH session with it: a closed tab in
  // the browser; in the desktop app, where closing the window only hides it, a reload.
  await row.getByRole('button', { name: 'Open a terminal to sandbox-ssh in Sesame' }).click();
  await expect(terminal).toHaveAttribute('data-state', 'open');
  await expect(screen).toContainText(`${info.sshd.user}@`);
  if (world.desktop) {
    expect(await world.desktop.control.closeWindow()).toBe(false); // hidden to the tray …
    await expect(terminal).toHaveAttribute('data-state', 'open'); // … with the terminal still running
    expect(closedTerminals()).toBe(1);
    await page.reload();
  } else {
    await page.close({ runBeforeUnload: true });
  }
  await expect.poll(() => closedTerminals(), { timeout: 10_000 }).toBe(2);
});

/** The host logs each terminal session it ends. */
const closedTerminals = () => world.app.output().match(/terminal closed/g)?.length ?? 0;
