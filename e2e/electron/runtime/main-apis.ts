// The main-process modules the renderer reaches through: ipcMain (invoke handlers), protocol
// (custom scheme handlers, served to Chromium at the scheme's stand-in https origin) and the
// default session (response headers, permissions). Errors read as Electron's do.
import { EventEmitter } from 'node:events';
import { requireNotReady, requireReady } from './lifecycle';
import { recordIpc } from './observed';

export interface InvokeEvent {
  sender: { id: number };
  senderFrame: { url: string; origin: string } | null;
  processId: number;
  frameId: number;
}
type InvokeHandler = (event: InvokeEvent, ...args: unknown[]) => unknown;

class IpcMain extends EventEmitter {
  readonly #handlers = new Map<string, InvokeHandler>();

  handle(channel: string, handler: InvokeHandler): void {
    if (this.#handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.#handlers.set(channel, handler);
  }

  handleOnce(channel: string, handler: InvokeHandler): void {
    this.handle(channel, (event, ...args) => {
      this.removeHandler(channel);
      return handler(event, ...args);
    });
  }

  removeHandler(channel: string): void {
    this.#handlers.delete(channel);
  }

  /** ipcRenderer.invoke arriving from a page: structured-cloned both ways, as Electron's IPC does. */
  async invoke(event: InvokeEvent, channel: string, args: unknown[]): Promise<unknown> {
    recordIpc('to-main', channel, args);
    const handler = this.#handlers.get(channel);
    if (!handler)
      throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    let result: unknown;
    try {
      result = structuredClone(await handler(event, ...structuredClone(args)));
    } catch (error) {
      throw new Error(`Error invoking remote method '${channel}': ${String(error)}`);
    }
    recordIpc('to-renderer', `${channel} (reply)`, result);
    return result;
  }
}

export const ipcMain = new IpcMain();

type ProtocolHandler = (request: Request) => Response | Promise<Response>;

export const protocolState = {
  privileged: new Map<string, Record<string, boolean>>(),
  handlers: new Map<string, ProtocolHandler>(),
  schemes(): ReadonlySet<string> {
    return new Set(protocolState.handlers.keys());
  },
};

export const protocol = {
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges?: Record<string, boolean> }>): void {
    requireNotReady('protocol.registerSchemesAsPrivileged');
    for (const { scheme, privileges } of schemes) protocolState.privileged.set(scheme, privileges ?? {});
  },
  handle(scheme: string, handler: ProtocolHandler): void {
    requireReady('protocol.handle');
    if (protocolState.handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
    protocolState.handlers.set(scheme, handler);
  },
  unhandle(scheme: string): void {
    protocolState.handlers.delete(scheme);
  },
  isProtocolHandled(scheme: string): boolean {
    return protocolState.handlers.has(scheme);
  },
};

export interface HeadersDetails {
  url: string;
  method: string;
  statusCode: number;
  resourceType: string;
  responseHeaders: Record<string, string[]>;
}
type HeadersListener = (
  details: HeadersDetails,
  callback: (response: { cancel?: boolean; responseHeaders?: Record<string, string[]> }) => void,
) => void;
type PermissionHandler = (
  contents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details?: unknown,
) => void;

export const sessionState = {
  headersListener: undefined as HeadersListener | undefined,
  permissionHandler: undefined as PermissionHandler | undefined,
  /** Electron asks the handler; with none, every permission is granted. */
  async allows(permission: string): Promise<boolean> {
    const handler = sessionState.permissionHandler;
    if (!handler) return true;
    return new Promise((resolve) => handler(undefined, permission, resolve, {}));
  },
};

const defaultSession = {
  webRequest: {
    onHeadersReceived(listener: HeadersListener | null): void {
      sessionState.headersListener = listener ?? undefined;
    },
  },
  setPermissionRequestHandler(handler: PermissionHandler | null): void {
    sessionState.permissionHandler = handler ?? undefined;
  },
  setPermissionCheckHandler(): void {},
};

export const session = { defaultSession };
