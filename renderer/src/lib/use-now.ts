// One clock for every countdown in the window: a single interval shared by all subscribers,
// running only while something shows a countdown. Ten thousand lease rows still mean one timer
// (and only the rows on screen are mounted). It reads the local clock; it never asks the host.
import { useSyncExternalStore } from 'react';

const TICK_MS = 1000;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  now = Date.now();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(tick, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

const read = () => now;

/** The current time in ms, re-rendering the caller on each shared tick. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, read, read);
}
