// Vault's health as the host's watcher reports it (the `vault.health` event; read once after
// each connect). It lets the header say "sealed" before any request fails.
import { create } from 'zustand';
import { vaultAnswers, type AppApi, type VaultHealthView } from '../../../app/api';

interface VaultState {
  health: VaultHealthView | null;
}

export const useVaultStore = create<VaultState>(() => ({ health: null }));

export function applyVaultHealth(health: VaultHealthView): void {
  useVaultStore.setState({ health });
}

export async function loadVaultHealth(api: AppApi): Promise<void> {
  try {
    applyVaultHealth(await api.call('vault.health', {}));
  } catch {
    // An older host without the watcher: the header simply shows no health.
    useVaultStore.setState({ health: null });
  }
}

/** True when Vault answers requests (an active or a standby node). */
export function vaultIsUp(health: VaultHealthView | null): boolean {
  return health === null || vaultAnswers(health.status);
}
