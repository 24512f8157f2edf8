// The Electron main process: wires Electron's modules into the small, tested pieces of this
// folder and the host from app/. Nothing here decides anything on its own.
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  app,
  BrowserWindow,
  clipboard,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  Notification,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
} from 'electron';
import { AppInfo, type ConnectionView } from '../app/api';
import { createApiDispatcher } from '../app/bridge';
import { defaultConfigPath } from '../app/config';
import { createAppHost, type AppHost } from '../app/host';
import { createLogger, textSink, type LogRecord } from '../app/log';
import { parseShellArguments } from './args';
import { registerApiIpc } from './ipc';
import { claimSingleInstance, installGracefulQuit } from './lifecycle';
import { createStartAtLogin, startedAtLogin } from './login-item';
import { watchNotifications } from './notifications';
import { createElectronPlatform } from './platform';
import { EVENT_CHANNEL } from './preload-api';
import {
  contentSecurityPolicy,
  createRendererRequestHandler,
  RENDERER_SCHEME,
  RENDERER_SCHEME_PRIVILEGES,
} from './renderer-protocol';
import { createSecretStore } from './secrets';
import { createTray, followMirror } from './tray';
import { createTrayHint } from './tray-hint';
import type { TrayActions } from './tray-menu';
import { createViewMirror } from './view-mirror';
import {
  createMainWindow,
  guardWebContents,
  isSameOrigin,
  isTrustedSender,
  rendererLocation,
  revealWindow,
} from './window';

// out/main/index.js → the app root holds out/renderer and assets/ (in the asar when packaged).
const HERE = import.meta.dirname;
const APP_ROOT = path.resolve(HERE, '../..');

// One name and one data directory whether packaged or run from the checkout; every renderer
// sandboxed; the Windows notification identity matches the installer's appId.
app.setName('Sesame');
app.setPath('userData', path.join(app.getPath('appData'), 'Sesame'));
app.enableSandbox();
if (process.platform === 'win32') app.setAppUserModelId('dev.sesame.app');

// Log lines (already redacted by the logger) to stderr and to userData/logs/main.log.
const logDir = path.join(app.getPath('userData'), 'logs');
mkdirSync(logDir, { recursive: true, mode: 0o700 });
const logFile = createWriteStream(path.join(logDir, 'main.log'), { flags: 'a', mode: 0o600 });
logFile.on('error', (error) => process.stderr.write(`sesame: cannot write ${logFile.path}: ${error.message}\n`));
const log = createLogger('shell', (record: LogRecord) => {
  textSink(record);
  if (!logFile.writableEnded) logFile.write(`${JSON.stringify(record)}\n`);
});

// Before 'ready', like the settings above.
protocol.registerSchemesAsPrivileged([RENDERER_SCHEME_PRIVILEGES]);

let mainWindow: BrowserWindow | undefined;
let host: AppHost | undefined;
const stops: Array<() => void> = [];

if (!claimSingleInstance(app, () => revealWindow(mainWindow))) {
  app.quit();
} else {
  const quit = installGracefulQuit(app, {
    async close() {
      for (const stop of stops.splice(0).reverse()) stop();
      await host?.close();
      log.info('closed');
      logFile.end();
    },
    onError: (error) => log.error('closing failed', { error }),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  start(quit.isQuitting).catch((error: unknown) => {
    log.error('start-up failed', { error });
    dialog.showErrorBox('Sesame could not start', (error as Error)?.message ?? String(error));
    app.exit(1);
  });
}

async function start(isQuitting: () => boolean) {
  const args = parseShellArguments(process.argv);
  await app.whenReady();

  // The renderer: our private scheme (or the dev server), a strict CSP, no navigation away.
  const location = rendererLocation(process.env, { packaged: app.isPackaged });
  if (app.isPackaged && process.env.ELECTRON_RENDERER_URL)
    log.warn('ignored ELECTRON_RENDERER_URL: an installed build shows only its own renderer');
  const csp = contentSecurityPolicy(location.devServer ? { devServer: location.devServer } : {});
  protocol.handle(RENDERER_SCHEME, createRendererRequestHandler(path.join(APP_ROOT, 'out', 'renderer'), csp));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    if (isSameOrigin(details.url, location.origin)) headers['Content-Security-Policy'] = [csp];
    callback({ responseHeaders: headers });
  });
  // The page may write the clipboard ("Copy address"); every other permission is refused.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(permission === 'clipboard-sanitized-write'),
  );
  app.on('web-contents-created', (_event, contents) =>
    guardWebContents(contents, {
      trustedOrigin: location.origin,
      openExternal: (url) =>
        void shell.openExternal(url).catch((error: unknown) => log.warn('could not open a link', { error })),
      onBlocked: (what, url) => log.warn('blocked', { what, url: url.slice(0, 200) }),
    }),
  );

  // The platform and the host.
  const secrets = await createSecretStore({
    safeStorage,
    userDataDir: app.getPath('userData'),
    platform: process.platform,
    onChoice: (store, reasons) => log.info('secret store chosen', { kind: store.kind, passedOver: reasons }),
  });
  const appIcon = path.join(APP_ROOT, 'assets', 'app', 'icon-256.png');
  const startAtLogin = createStartAtLogin(app, {
    platform: process.platform,
    env: process.env,
    execPath: process.execPath,
    // Unpackaged (`electron out/main/index.js`), Electron needs the entry to start Sesame.
    args: app.isPackaged ? [] : [path.join(HERE, 'index.js')],
  });
  const platform = createElectronPlatform(
    { shell, Notification, clipboard },
    { secrets, notificationIcon: appIcon, startAtLogin },
  );
  const configPath = args.configPath ?? defaultConfigPath(process.env);
  const sandboxLogins = sandboxLoginsFrom(process.env);
  host = await createAppHost({
    configPath,
    platform,
    mode: 'electron',
    log,
    version: app.getVersion(),
    ...(sandboxLogins ? { sandbox: true, sandboxLogins } : {}),
    watchConfig: true,
  });
  if (secrets.kind === 'memory' && secrets.unavailableReason)
    platform.notify('Sesame will not remember your login', secrets.unavailableReason);

  // The window and its one channel to the host.
  const dispatcher = createApiDispatcher(host, { log: log.child('ipc') });
  const ipc = registerApiIpc(ipcMain, {
    dispatcher,
    isTrusted: (event) => isTrustedSender(event, mainWindow, location.origin),
    send: (message) => {
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(EVENT_CHANNEL, message);
    },
    onRefused: (url) => log.warn('refused an AppApi call from a foreign frame', { url: url?.slice(0, 200) }),
  });
  stops.push(() => ipc.dispose());
  const { window, loaded } = createMainWindow(
    { BrowserWindow },
    {
      preloadPath: path.join(HERE, 'preload.cjs'),
      iconPath: appIcon,
      location,
      showOnLoad: !args.hidden && !startedAtLogin(process.argv, app, process.platform),
      isQuitting,
      onHiddenToTray: createTrayHint({
        flagFile: path.join(app.getPath('userData'), 'tray-hint-shown'),
        notify: (title, body) => platform.notify(title, body),
        onError: (error) => log.warn('could not remember that the tray hint was shown', { error }),
      }),
    },
  );
  mainWindow = window;
  // A renderer that reloads or crashes may not close its terminals itself: its scope ends here.
  const endRenderer = () =>
    void ipc
      .endClient(window.webContents.id)
      .catch((error: unknown) => log.warn('could not close a renderer’s terminals', { error }));
  window.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) endRenderer();
  });
  window.webContents.on('render-process-gone', endRenderer);
  loaded.catch((error: unknown) => log.error('the window could not load the UI', { error, url: location.url }));

  // The tray and the notifications, both following the host's events.
  const report = (what: string) => (error: unknown) => {
    log.warn(what, { error });
    platform.notify(what, (error as Error)?.message ?? String(error));
  };
  const command = async (
    name: 'session.logout' | 'connections.setEnabled' | 'connections.openGui' | 'connections.openTerminal',
    input: unknown,
  ) => {
    const outcome = await dispatcher.call(name, input);
    if (!outcome.ok) throw new Error(outcome.error.message);
  };
  const mirror = await createViewMirror(host);
  stops.push(() => mirror.close());
  const actions: TrayActions = {
    showWindow: () => revealWindow(mainWindow),
    // Logging in needs a choice of method (and maybe a secret): the window has the form.
    login: () => revealWindow(mainWindow),
    logout: () => void command('session.logout', {}).catch(report('Could not log out')),
    copyAddress: (connection: ConnectionView) => clipboard.writeText(connection.listen),
    setEnabled: (name, enabled) =>
      void command('connections.setEnabled', { name, enabled }).catch(
        report(`Could not turn ${name} ${enabled ? 'on' : 'off'}`),
      ),
    // app/launchers decides how (configured GUI, URL scheme, ssh user) and refuses what is off.
    openGui: (connection) =>
      void command('connections.openGui', { name: connection.name }).catch(report(`Could not open ${connection.name}`)),
    openTerminal: (connection) =>
      void command('connections.openTerminal', { name: connection.name }).catch(
        report(`Could not open a terminal for ${connection.name}`),
      ),
    setStartAtLogin: (enabled) => {
      try {
        startAtLogin.setEnabled(enabled);
      } catch (error) {
        report('Could not change "Start at login"')(error);
      }
      tray.render(mirror.current());
    },
    quit: () => app.quit(),
  };
  const tray = createTray(
    { Tray, Menu, nativeImage },
    {
      iconsDir: path.join(APP_ROOT, 'assets', 'tray'),
      platform: process.platform,
      // Linux panels are dark in the common desktops; elsewhere follow the OS theme.
      darkPanel: () => process.platform === 'linux' || nativeTheme.shouldUseDarkColors,
      actions,
      startAtLogin: () => (startAtLogin.available ? startAtLogin.isEnabled() : undefined),
    },
  );
  stops.push(() => tray.destroy());
  stops.push(followMirror(mirror, tray));
  const rerender = () => tray.render(mirror.current());
  nativeTheme.on('updated', rerender);
  stops.push(() => nativeTheme.off('updated', rerender));
  stops.push(watchNotifications(mirror, (title, body) => platform.notify(title, body)));
  log.info('started', { configPath, secrets: secrets.kind, renderer: location.url });
}

/** `sesame start` on its built-in sandbox hands the demo logins over in the environment. */
function sandboxLoginsFrom(env: NodeJS.ProcessEnv): AppInfo['sandboxLogins'] {
  if (!env.SESAME_SANDBOX_LOGINS) return undefined;
  try {
    return AppInfo.shape.sandboxLogins.parse(JSON.parse(env.SESAME_SANDBOX_LOGINS));
  } catch {
    return undefined;
  }
}
