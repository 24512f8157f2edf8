// Watches Vault's health so the UI can say "Vault is sealed" before a request fails, and say
// when it is back. One tokenless `sys/health` every few seconds (every second while Vault is
// not up, so recovery shows quickly); a change is an event and an activity line.
import { readVaultHealth, type VaultClient, type VaultHealth } from '../../broker/vault';
import type { VaultHealthView } from '../api';
import type { ActivityLog } from './activity';

export interface VaultHealthWatcher {
  current(): VaultHealthView;
  /** Check now (e.g. after a request failed) and report a change at once. */
  checkNow(): Promise<VaultHealthView>;
  /** Stop checking; resolves once a check in flight has ended (no socket outlives the host). */
  close(): Promise<void>;
}

export interface VaultHealthOptions {
  /** Between checks while Vault is up (default 5 s). */
  intervalMs?: number;
  /** Between checks while it is not (default 1 s). */
  troubledIntervalMs?: number;
  onChange(health: VaultHealthView): void;
  activity: ActivityLog;
  /** A desktop notification when Vault goes down after being up, and when it is back. */
  notify?(title: string, body: string): void;
}

const isUp = (h: VaultHealthView) => h.status === 'ok' || h.status === 'standby';

export function watchVaultHealth(client: VaultClient, options: VaultHealthOptions): VaultHealthWatcher {
  const interval = options.intervalMs ?? 5_000;
  const troubled = options.troubledIntervalMs ?? 1_000;
  let current: VaultHealthView = {
    address: client.address,
    status: 'unconfigured',
    message: 'Vault has not been checked yet.',
    checkedAt: new Date().toISOString(),
  };
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let inFlight: Promise<VaultHealthView> | undefined;

  function report(next: VaultHealth): void {
    const previous = current;
    current = next;
    if (previous.status === next.status && previous.version === next.version) return;
    options.onChange(next);
    if (previous.status === 'unconfigured' && isUp(next)) return; // the first check finding Vault up is not news
    if (isUp(next)) {
      options.activity.add({ level: 'info', kind: 'vault-up', message: `Vault is back: ${next.message}` });
      if (!isUp(previous) && previous.status !== 'unconfigured') options.notify?.('Vault is back', next.message);
    } else {
      options.activity.add({
        level: next.status === 'sealed' ? 'warn' : 'error',
        kind: `vault-${next.status}`,
        message: next.message,
      });
      if (isUp(previous))
        options.notify?.(
          next.status === 'sealed' ? 'Vault is sealed' : 'Vault cannot be reached',
          `${next.message} Connections that hold credentials keep working.`,
        );
    }
  }

  function check(): Promise<VaultHealthView> {
    inFlight ??= readVaultHealth(client)
      .then((health) => {
        if (!closed) report(health);
        return current;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => void check().finally(schedule), isUp(current) ? interval : troubled);
    timer.unref();
  }

  void check().finally(schedule);
  return {
    current: () => current,
    checkNow: check,
    async close() {
      closed = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
