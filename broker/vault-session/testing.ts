// Test support for the agent's tests: a root-token HTTP helper for seeding the Vault dev
// server, and waiting for a session event or state without timing assertions.
import type { SessionEvent, SessionSnapshot, VaultSession } from './session-types';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read Vault's answers field by field
export type Json = any;

export async function vaultCall(
  address: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** Create a token as `parent`; the dev server makes its TTLs real within a second. */
export async function createToken(
  address: string,
  parent: string,
  body: Record<string, unknown>,
): Promise<{ token: string; accessor: string }> {
  const r = await vaultCall(address, parent, 'POST', 'auth/token/create', body);
  if (r.status !== 200) throw new Error(`auth/token/create answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { token: r.body.auth.client_token, accessor: r.body.auth.accessor };
}

/** Resolves with the first event matching `match`, or rejects after `timeoutMs`. */
export function nextEvent<T extends SessionEvent['type']>(
  session: VaultSession,
  type: T,
  timeoutMs = 20_000,
  match: (e: Extract<SessionEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<SessionEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no '${type}' event within ${timeoutMs} ms`))), timeoutMs);
    const off = session.onEvent((event) => {
      if (event.type === type && match(event as Extract<SessionEvent, { type: T }>)) {
        clearTimeout(timer);
        off();
        resolve(event as Extract<SessionEvent, { type: T }>);
      }
    });
  });
}

/** Resolves with the first snapshot (now or later) whose state matches. */
export function reachState(
  session: VaultSession,
  state: SessionSnapshot['state'],
  timeoutMs = 20_000,
): Promise<SessionSnapshot> {
  const now = session.snapshot();
  if (now.state === state) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (
        off(),
        reject(new Error(`session did not reach '${state}' within ${timeoutMs} ms (now ${session.snapshot().state})`))
      ),
      timeoutMs,
    );
    const off = session.onChange((snap) => {
      if (snap.state === state) {
        clearTimeout(timer);
        off();
        resolve(snap);
      }
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
