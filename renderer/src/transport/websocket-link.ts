// The browser-mode link: the AppApi over the bridge's WebSocket (same origin, /api, the session
// cookie rides along). It reconnects by itself with a growing pause; calls made while it is
// down fail at once in plain words rather than hanging. Results and events are checked against
// the contract here too: the renderer trusts nothing that crossed a wire.
import { ApiError, type AppEvent, type CommandInput, type CommandName, type CommandOutput } from '../../../app/api';
import { eventOf, valueOf } from './decode';
import type { HostLink, LinkState } from './link';

export interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(): void;
}

/** Opens one socket; the browser's WebSocket by default, injectable for tests under Node. */
export type OpenSocket = (url: string, handlers: SocketHandlers) => { send(data: string): void; close(): void };

export interface WebSocketLinkOptions {
  url: string;
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
  socket.onclose = () => handlers.close();
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
    socket = openSocket(options.url, {
      open() {
        failedAttempts = 0;
        setState('open');
      },
      message: receive,
      close() {
        socket = undefined;
        const lost = new ApiError('internal', 'The connection to Sesame dropped before it answered; please try again.');
        for (const call of pending.values()) call.reject(lost);
        pending.clear();
        setState('closed');
        if (stopped) return;
        const delay = delays[Math.min(failedAttempts, delays.length - 1)] ?? 1000;
        failedAttempts += 1;
        retryTimer = setTimeout(connect, delay);
      },
    });
  }

  function receive(data: string): void {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    const wire = message as { type?: unknown; id?: unknown };
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
