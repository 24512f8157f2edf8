// In-app terminals: which are open (a store the dock renders) and where each one's output goes.
// A shell may print before `terminal.open` has answered (events and results share the link),
// so output for an id nobody has claimed yet waits in a small backlog; output of terminals of
// other windows (every window gets every event) is dropped from it oldest first.
import { create } from 'zustand';
import type { TerminalExit, TerminalOutput } from '../../../app/api';

export interface TerminalTab {
  /** Stable React key; the host's id arrives once the session is open. */
  key: string;
  connection: string;
}

interface TerminalsState {
  tabs: TerminalTab[];
  /** The tab shown (the dock shows one terminal at a time). */
  active: string | null;
}

export const useTerminalsStore = create<TerminalsState>(() => ({ tabs: [], active: null }));

let counter = 0;

export function openTerminalTab(connection: string): void {
  const key = `terminal-${++counter}`;
  useTerminalsStore.setState((s) => ({ tabs: [...s.tabs, { key, connection }], active: key }));
}

export function closeTerminalTab(key: string): void {
  useTerminalsStore.setState((s) => {
    const tabs = s.tabs.filter((t) => t.key !== key);
    return { tabs, active: s.active === key ? (tabs.at(-1)?.key ?? null) : s.active };
  });
}

export function showTerminalTab(key: string): void {
  useTerminalsStore.setState({ active: key });
}

export interface TerminalSink {
  write(data: string): void;
  exit(exit: TerminalExit): void;
}

const sinks = new Map<string, TerminalSink>();
const backlog = new Map<string, Array<TerminalOutput | TerminalExit>>();
const BACKLOG_IDS = 16;

/** Called by the event feed for `terminal.output` and `terminal.exit`. */
export function routeTerminalEvent(
  event: { event: 'terminal.output'; payload: TerminalOutput } | { event: 'terminal.exit'; payload: TerminalExit },
): void {
  const sink = sinks.get(event.payload.id);
  if (sink) {
    if (event.event === 'terminal.output') sink.write(event.payload.data);
    else sink.exit(event.payload);
    return;
  }
  const waiting = backlog.get(event.payload.id) ?? [];
  waiting.push(event.payload);
  backlog.delete(event.payload.id);
  backlog.set(event.payload.id, waiting);
  if (backlog.size > BACKLOG_IDS) backlog.delete(backlog.keys().next().value!);
}

/** Claims a session's output (replaying what arrived before); returns the release function. */
export function attachTerminal(id: string, sink: TerminalSink): () => void {
  for (const item of backlog.get(id) ?? []) {
    if ('data' in item) sink.write(item.data);
    else sink.exit(item);
  }
  backlog.delete(id);
  sinks.set(id, sink);
  return () => {
    sinks.delete(id);
  };
}

/** The host ids of the terminals this window shows (their sessions end when it goes away). */
export function attachedTerminalIds(): string[] {
  return [...sinks.keys()];
}
