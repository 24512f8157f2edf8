// Connections as the host's supervisor reports them. A toggle is optimistic: the switch moves
// at once (`pending`), the row's state stays the host's truth, and the pending wish is dropped
// as soon as an event or the call's answer shows the host acting on it, or the call fails.
import { create } from 'zustand';
import type { ApiError, AppApi, ConnectionState, ConnectionView, LaunchResult } from '../../../app/api';
import { asApiError } from '../lib/errors';

interface ConnectionsState {
  byName: Record<string, ConnectionView>;
  /** Display order: the host's list order, new names appended. */
  order: string[];
  /** Wanted on/off while a toggle is in flight. */
  pending: Record<string, boolean>;
  /** Why the host refused the last toggle, in its words. */
  refusals: Record<string, string>;
}

export const useConnectionsStore = create<ConnectionsState>(() => ({
  byName: {},
  order: [],
  pending: {},
  refusals: {},
}));

/** Whether the host is running (or trying to run) a connection: what its switch shows. */
export function isOn(state: ConnectionState): boolean {
  return state !== 'off';
}

export function replaceConnections(list: readonly ConnectionView[]): void {
  useConnectionsStore.setState((s) => ({
    byName: Object.fromEntries(list.map((c) => [c.name, c])),
    order: list.map((c) => c.name),
    pending: reconcile(s.pending, list),
  }));
}

export function applyConnection(view: ConnectionView): void {
  useConnectionsStore.setState((s) => ({
    byName: { ...s.byName, [view.name]: view },
    order: s.order.includes(view.name) ? s.order : [...s.order, view.name],
    pending: reconcile(s.pending, [view]),
  }));
}

/** A config reload removed the connection. */
export function removeConnection(name: string): void {
  useConnectionsStore.setState((s) => {
    const byName = { ...s.byName };
    delete byName[name];
    const pending = { ...s.pending };
    delete pending[name];
    return { byName, order: s.order.filter((n) => n !== name), pending };
  });
}

/** Drop the pending wishes the host has visibly acted on. */
function reconcile(pending: Record<string, boolean>, views: readonly ConnectionView[]): Record<string, boolean> {
  let next = pending;
  for (const view of views) {
    if (view.name in next && next[view.name] === isOn(view.state)) {
      next = { ...next };
      delete next[view.name];
    }
  }
  return next;
}

export async function setConnectionEnabled(api: AppApi, name: string, enabled: boolean): Promise<void> {
  useConnectionsStore.setState((s) => {
    const refusals = { ...s.refusals };
    delete refusals[name];
    return { pending: { ...s.pending, [name]: enabled }, refusals };
  });
  try {
    applyConnection(await api.call('connections.setEnabled', { name, enabled }));
    settle(name);
  } catch (error) {
    settle(name, asApiError(error).message);
  }
}

function settle(name: string, refusal?: string): void {
  useConnectionsStore.setState((s) => {
    const pending = { ...s.pending };
    delete pending[name];
    return { pending, refusals: refusal ? { ...s.refusals, [name]: refusal } : s.refusals };
  });
}

/**
 * Turn a connection on and wait until it is ready (or visibly not): what "Turn on and open"
 * needs. Resolves to why it is not ready, in the host's words, or undefined when it is.
 */
export async function turnOnAndWait(api: AppApi, name: string, timeoutMs = 15_000): Promise<string | undefined> {
  await setConnectionEnabled(api, name, true);
  const verdict = (): string | undefined | null => {
    const { byName, refusals } = useConnectionsStore.getState();
    const view = byName[name];
    if (refusals[name]) return refusals[name];
    if (!view) return `${name} is no longer configured`;
    if (view.state === 'ready') return undefined;
    if (view.state === 'error' || view.state === 'off')
      return view.error ?? view.stats.lastError ?? `${name} did not start`;
    return null; // still starting
  };
  const now = verdict();
  if (now !== null) return now;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stop();
      resolve(`${name} is still starting; try again in a moment`);
    }, timeoutMs);
    const stop = useConnectionsStore.subscribe(() => {
      const next = verdict();
      if (next === null) return;
      clearTimeout(timer);
      stop();
      resolve(next);
    });
  });
}

/** Move a connection to another local address; resolves to the host's refusal, if any. */
export async function setConnectionListen(api: AppApi, name: string, listen: string): Promise<ApiError | undefined> {
  try {
    applyConnection(await api.call('connections.setListen', { name, listen }));
    return undefined;
  } catch (error) {
    return asApiError(error);
  }
}

/** "Open in GUI" or "Open terminal"; resolves to what was started or why not. */
export async function launchConnection(
  api: AppApi,
  name: string,
  how: 'gui' | 'terminal',
): Promise<LaunchResult | ApiError> {
  try {
    return how === 'gui'
      ? await api.call('connections.openGui', { name })
      : await api.call('connections.openTerminal', { name });
  } catch (error) {
    return asApiError(error);
  }
}
