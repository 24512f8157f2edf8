// `sesame start`: the app. Electron where its binary is installed; otherwise (or with
// --browser) the same host behind the browser-mode bridge. With no config file of the user's,
// the sandbox is started as the embedded default so a newcomer sees a working connection.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { createBrowserBridge } from '../app/bridge';
import { defaultConfigPath } from '../app/config';
import { createAppHost, keyFolder } from '../app/host';
import { createLogger, textSink } from '../broker/log';
import { findElectronBinary } from '../main/electron-binary';
import type { Sandbox } from '../sandbox';
import { openLinkInBrowser } from './browser-link';
import { sandboxLogins, sandboxLoginsText } from './sandbox-logins';
import { createNodePlatform } from './node-platform';
import { projectRoot, readVersion, stopParts, untilSignal } from './lifecycle';

export interface StartOptions {
  browser?: boolean;
  config?: string;
  port?: string;
  open?: boolean;
}

const rendererDir = path.join(projectRoot, 'out', 'renderer');

function ensureRendererBuilt() {
  if (existsSync(path.join(rendererDir, 'index.html'))) return;
  console.log('Building the UI once (out/renderer)…');
  const result = spawnSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the UI failed (see above)');
}

export async function runStart(options: StartOptions): Promise<number> {
  const log = createLogger('sesame', textSink);
  let configPath = options.config ?? defaultConfigPath();
  let sandbox: Sandbox | undefined;
  if (!options.config && !existsSync(configPath)) {
    console.log(
      `No config at ${configPath}: starting the built-in sandbox (a Vault dev server, PostgreSQL, MariaDB, sshd and an OIDC identity provider, all on loopback) so you can try Sesame right away.`,
    );
    // Loaded only when used: the sandbox's OIDC provider prints a runtime warning on Node 20.
    const { startSandbox } = await import('../sandbox');
    sandbox = await startSandbox({ log: log.child('sandbox') });
    configPath = sandbox.configPath;
    console.log(`\n${sandboxLoginsText(sandbox)}\n`);
  }

  const electron = findElectronBinary();
  const mainEntry = path.join(projectRoot, 'out', 'main', 'index.js');
  if (!options.browser && 'path' in electron && existsSync(mainEntry)) {
    // Electron reads package.json from the project root for the app's name, version and entry.
    const child = spawn(electron.path, [projectRoot, '--config', configPath], {
      stdio: 'inherit',
      env: {
        ...process.env,
        SESAME_CONFIG: configPath,
        // The app shows the sandbox's demo logins on its login form (main/index.ts reads them).
        ...(sandbox ? { SESAME_SANDBOX_LOGINS: JSON.stringify(sandboxLogins(sandbox)) } : {}),
      },
    });
    // A SIGTERM/SIGINT meant for `sesame start` is the app's to handle (it quits gracefully);
    // without passing it on, the CLI would exit and leave the app running.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, forward);
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 0)));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, forward);
    await sandbox?.stop();
    return code;
  }
  const why = options.browser
    ? 'browser mode: --browser was given'
    : 'missing' in electron
      ? `browser mode: ${electron.missing}`
      : 'browser mode: the Electron main process is not built yet (run npm run build:main)';
  console.log(why);

  ensureRendererBuilt();
  const platform = await createNodePlatform(log);
  if (platform.secrets.kind === 'memory')
    console.log(
      `Note: ${platform.secrets.unavailableReason}. Sesame's own keys (SSH host keys, the local TLS CA) are kept in ${keyFolder(configPath)} (readable by you only).`,
    );
  const host = await createAppHost({
    configPath,
    platform,
    mode: 'browser',
    log,
    sandbox: Boolean(sandbox),
    ...(sandbox ? { sandboxLogins: sandboxLogins(sandbox) } : {}),
    version: await readVersion(),
    watchConfig: true,
  });
  const bridge = await createBrowserBridge({
    api: host,
    staticDir: rendererDir,
    log: log.child('bridge'),
    ...(options.port ? { port: Number(options.port) } : {}),
  });
  console.log(
    `Sesame is running. Open this link in your browser — it opens one tab, within a minute; press Enter here for a new one:\n  ${bridge.url}`,
  );
  if (options.open)
    await openLinkInBrowser(bridge.createLoginUrl(), platform).catch((error: Error) =>
      console.log(`Could not open a browser: ${error.message}`),
    );
  // Enter prints a fresh link (the printed one is spent or has expired).
  const input = createInterface({ input: process.stdin });
  input.on('line', () => console.log(`A new link (one tab, within a minute):\n  ${bridge.createLoginUrl()}`));
  input.on('error', () => {});

  await untilSignal();
  input.close();
  console.log('Stopping… (Ctrl-C again to stop at once)');
  await stopParts(
    [
      ['the browser UI', () => bridge.close()],
      ['the connections and the token agent', () => host.close()],
      ...(sandbox ? [['the sandbox', () => sandbox.stop()] as const] : []),
    ],
    (line) => console.log(line),
  );
  return 0;
}
