// What a new config changes: connections compared by their broker settings. A connection whose
// settings are identical is left alone (its sessions keep running); any difference — listen
// address, target, credentials — restarts it. The "Open in …" choice is not the broker's
// business: changing it alone keeps the connection running (the new choice is still applied).
import type { ConnectionConfig, SesameConfig } from '../config';

export interface ConnectionDiff {
  added: ConnectionConfig[];
  removed: string[];
  changed: ConnectionConfig[];
  unchanged: string[];
}

/** JSON with object keys sorted, so two equal configs give the same text whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** What the broker serves: the config without the launcher's choice. */
const brokerSettings = ({ gui: _gui, ...rest }: ConnectionConfig) => canonicalJson(rest);

export function diffConnections(
  before: readonly ConnectionConfig[],
  after: readonly ConnectionConfig[],
): ConnectionDiff {
  const old = new Map(before.map((c) => [c.name, brokerSettings(c)]));
  const next = new Set(after.map((c) => c.name));
  const diff: ConnectionDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const connection of after) {
    const previous = old.get(connection.name);
    if (previous === undefined) diff.added.push(connection);
    else if (previous === brokerSettings(connection)) diff.unchanged.push(connection.name);
    else diff.changed.push(connection);
  }
  for (const connection of before) if (!next.has(connection.name)) diff.removed.push(connection.name);
  return diff;
}

/** Top-level settings a running host cannot switch to (they need a restart), by name. */
export function settingsNeedingRestart(before: SesameConfig, after: SesameConfig): string[] {
  return (['vault'] as const).filter((key) => canonicalJson(before[key] ?? null) !== canonicalJson(after[key] ?? null));
}

/** Daemon mode has nobody to toggle a switch: every connection starts with the host. */
export function startingEverything(config: SesameConfig): SesameConfig {
  return { ...config, connections: config.connections.map((c) => ({ ...c, autoStart: true })) };
}

/** True when the token agent's settings differ (applied in place: TokenAgent.reconfigure). */
export function agentChanged(before: SesameConfig, after: SesameConfig): boolean {
  return canonicalJson(before.agent ?? null) !== canonicalJson(after.agent ?? null);
}
