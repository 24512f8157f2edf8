// The browser-mode link: the AppApi over the bridge's WebSocket (same origin, /api). Each
// socket first signs in: with the one-time token of the link the tab was opened with, later
// with the session secret the bridge gave for it (kept in sessionStorage by the caller). It
// reconnects by itself with a growing pause, except when the bridge refuses the sign-in; calls
// made while it is down fail at once in plain words rather than hanging. Results and events are
// checked against the contract here too: the renderer trusts nothing that crossed a wire.
import {
  ApiError,
  BRIDGE_DENIALS,
  BRIDGE_DENIED,
  type AppEvent,
  type BridgeDenial,
  type CommandInput,
  type CommandName,
  type CommandOutput,
} from '../../../app/api';
import { eventOf, valueOf } from './decode';
import type { HostLink, LinkState } from './link';

export interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(code?: number, reason?: string): void;
}

/** How the link proves itself to the bridge. */
export interface SignIn {
  /** The one-time token of the link this tab was opened with (used once). */
  token?: string;
  /** The session secret kept from an earlier sign-in, if any. */
  storedSession(): string | null;
  keepSession(session: string): void;
}

/** Opens one socket; the browser's WebSocket by default, injectable for tests under Node. */
export type OpenSocket = (url: string, handlers: SocketHandlers) => { send(data: string): void; close(): void };

export interface WebSocketLinkOptions {
  url: string;
  signIn: SignIn;
  openSocket?: OpenSocket;
  /** Pauses before reconnect attempts; the last one repeats. */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 5000];

export const browserSocket: OpenSocket = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.onopen = () => handlers.open();
  socket.onmessage = (event) => {
    if (typeof event.data === 'string') handlers.message(event.data);
  };
  socket.onclose = (event) => handlers.close(event.code, event.reason);
  return { send: (data) => socket.send(data), close: () => socket.close() };
};

interface PendingCall {
  command: CommandName;
  resolve(value: unknown): void;
  reject(error: ApiError): void;
}

export function createWebSocketLink(options: WebSocketLinkOptions): HostLink {
  const openSocket = options.openSocket ?? browserSocket;
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const pending = new Map<number, PendingCall>();
  const listeners = new Set<(event: AppEvent) => void>();
  const stateListeners = new Set<(state: LinkState) => void>();
  let state: LinkState = 'connecting';
  let denial: BridgeDenial | undefined;
  let token = options.signIn.token;
  let socket: ReturnType<OpenSocket> | undefined;
  let nextId = 1;
  let failedAttempts = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  function setState(next: LinkState): void {
    if (next === state) return;
    state = next;
    for (const listener of stateListeners) listener(next);
  }

  function connect(): void {
    retryTimer = undefined;
    setState('connecting');
    const opened = openSocket(options.url, {
      open() {
        // Signed in only once the bridge welcomes us (receive).
        const session = options.signIn.storedSession();
        opened.send(JSON.stringify(token ? { type: 'hello', token } : { type: 'hello', session: session ?? '' }));
        token = undefined; // presented once, spent whatever the answer
      },
      message: receive,
      close(code, reason) {
        socket = undefined;
        const lost = new ApiError('internal', 'The connection to Sesame dropped before it answered; please try again.');
        for (const call of pending.values()) call.reject(lost);
        pending.clear();
        if (code === BRIDGE_DENIED) {
          denial = (BRIDGE_DENIALS as readonly string[]).includes(reason ?? '')
            ? (reason as BridgeDenial)
            : 'session-unknown';
          stopped = true;
          setState('denied');
          return;
        }
        setState('closed');
        if (stopped) return;
        const delay = delays[Math.min(failedAttempts, delays.length - 1)] ?? 1000;
        failedAttempts += 1;
        retryTimer = setTimeout(connect, delay);
      },
    });
    socket = opened;
  }

  function receive(data: string): void {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    const wire = message as { type?: unknown; id?: unknown; session?: unknown };
    if (wire.type === 'welcome' && typeof wire.session === 'string') {
      options.signIn.keepSession(wire.session);
      failedAttempts = 0;
      setState('open');
      return;
    }
    if (wire.type === 'result' && typeof wire.id === 'number') {
      const call = pending.get(wire.id);
      if (!call) return;
      pending.delete(wire.id);
      try {
        call.resolve(valueOf(call.command, message));
      } catch (error) {
        call.reject(error as ApiError);
      }
      return;
    }
    const event = eventOf(message);
    if (event) for (const listener of listeners) listener(event);
  }

  connect();

  return {
    kind: 'browser',
    get state() {
      return state;
    },
    get denial() {
      return denial;
    },
    call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
      if (state !== 'open' || !socket) {
        return Promise.reject(new ApiError('internal', 'Sesame is not connected right now; it is reconnecting.'));
      }
      const id = nextId++;
      const open = socket;
      return new Promise<CommandOutput<C>>((resolve, reject) => {
        pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject });
        open.send(JSON.stringify({ type: 'call', id, command, input }));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
