// The host's connections in config order: the ones the supervisor serves, and the ones it
// cannot (connector missing from this build, or settings the connector refused), which show
// as `error` with the reason instead of stopping the host. `apply` moves the set to a new
// config: unchanged connections are not touched, changed ones restart, removed ones stop.
// Turning one off closes its credential source too (leases revoked, timers stopped).
import type { Logger } from '../../broker/log';
import type { ConnectionSpec, ConnectionSupervisor } from '../../broker/supervisor';
import type { AppEvent, ConnectionView } from '../api';
import type { ConnectionConfig } from '../config';
import type { ActivityLog } from './activity';
import { diffConnections, type ConnectionDiff } from './reload';
import { connectionView, unavailableView } from './views';

export interface ConnectionSetOptions {
  supervisor: ConnectionSupervisor;
  /** The broker spec for a config; throws when the connection cannot be served. */
  buildSpec(config: ConnectionConfig): ConnectionSpec;
  /** Async work a set of configs needs before their specs are built (keychain reads). */
  prepare?(configs: readonly ConnectionConfig[]): Promise<void>;
  emit(event: AppEvent): void;
  /** What a view adds beyond the broker's status (an SSH connection's host key fingerprint). */
  decorate?(view: ConnectionView): ConnectionView;
  activity: ActivityLog;
  log: Logger;
  /** The local TLS CA's certificate file, for the database connections' views. */
  tlsCaFile?: string;
}

export interface ConnectionSet {
  /** Move to `configs`; returns what changed. Serialised: one apply at a time. */
  apply(configs: readonly ConnectionConfig[]): Promise<ConnectionDiff>;
  has(name: string): boolean;
  config(name: string): ConnectionConfig | undefined;
  configs(): readonly ConnectionConfig[];
  view(name: string): ConnectionView;
  list(): ConnectionView[];
  setEnabled(name: string, enabled: boolean): Promise<ConnectionView>;
  close(): Promise<void>;
}

export function createConnectionSet(options: ConnectionSetOptions): ConnectionSet {
  const { supervisor, emit, activity, log } = options;
  let current: readonly ConnectionConfig[] = [];
  /** Why a connection cannot be served, by name. */
  const unavailable = new Map<string, string>();
  let queue: Promise<unknown> = Promise.resolve();

  const configOf = (name: string) => current.find((c) => c.name === name);
  const view = (name: string): ConnectionView => {
    const config = configOf(name);
    const reason = unavailable.get(name);
    const plain =
      config && reason !== undefined
        ? unavailableView(config, reason)
        : connectionView(supervisor.status(name), config, options.tlsCaFile);
    return options.decorate ? options.decorate(plain) : plain;
  };

  function define(config: ConnectionConfig): void {
    try {
      supervisor.define(options.buildSpec(config));
    } catch (error) {
      const reason = (error as Error).message;
      unavailable.set(config.name, reason);
      log.warn('connection cannot be served', { connection: config.name, protocol: config.protocol, reason });
      activity.add({ level: 'error', kind: 'connection-unavailable', message: reason, connection: config.name });
    }
  }

  async function undefine(name: string): Promise<boolean> {
    if (unavailable.delete(name)) return false;
    if (!supervisor.has(name)) return false;
    const wasOn = supervisor.status(name).state !== 'off';
    await supervisor.remove(name);
    return wasOn;
  }

  async function start(name: string): Promise<ConnectionView> {
    const reason = unavailable.get(name);
    if (reason !== undefined) {
      activity.add({ level: 'error', kind: 'connection-on', message: `could not start: ${reason}`, connection: name });
      return view(name);
    }
    const status = await supervisor.start(name);
    activity.add({
      level: status.state === 'error' ? 'error' : 'info',
      kind: 'connection-on',
      message: status.state === 'error' ? `could not start: ${status.error}` : `listening on ${status.listen}`,
      connection: name,
    });
    return view(name);
  }

  async function doApply(next: readonly ConnectionConfig[]): Promise<ConnectionDiff> {
    const diff = diffConnections(current, next);
    const restart = new Set<string>();
    for (const name of diff.removed) {
      await undefine(name);
      emit({ event: 'connection.removed', payload: { name } });
      activity.add({ level: 'info', kind: 'connection-removed', message: 'removed from the config', connection: name });
    }
    for (const config of diff.changed) if (await undefine(config.name)) restart.add(config.name);
    current = next;
    for (const config of [...diff.changed, ...diff.added]) {
      define(config);
      emit({ event: 'connection.changed', payload: view(config.name) });
    }
    for (const config of [...diff.changed, ...diff.added]) {
      if (config.autoStart || restart.has(config.name)) await start(config.name);
    }
    return diff;
  }

  return {
    apply(next) {
      const run = queue.then(async () => {
        await options.prepare?.(next);
        return doApply(next);
      });
      queue = run.catch(() => {});
      return run;
    },
    has: (name) => configOf(name) !== undefined,
    config: configOf,
    configs: () => current,
    view,
    list: () => current.map((c) => view(c.name)),
    async setEnabled(name, enabled) {
      if (enabled) return start(name);
      if (unavailable.has(name)) return view(name);
      // Off ends what the connection holds, not only its listener: the source is closed (a
      // shared lease is revoked, an agent stops re-signing) and a fresh one waits for "on".
      const config = configOf(name);
      await supervisor.remove(name);
      if (config) define(config);
      activity.add({
        level: 'info',
        kind: 'connection-off',
        message: 'turned off; what it held from Vault was released',
        connection: name,
      });
      const off = view(name);
      emit({ event: 'connection.changed', payload: off });
      return off;
    },
    async close() {
      await queue;
      await supervisor.stopAll();
    },
  };
}
