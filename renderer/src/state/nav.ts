// Which tab of the window is shown. Kept in a store so any part of the UI can lead elsewhere
// ("All activity →"), and so the choice survives the login panel coming and going.
import { create } from 'zustand';

export const TABS = ['connections', 'leases', 'activity', 'settings'] as const;
export type TabId = (typeof TABS)[number];

export const TAB_LABELS: Record<TabId, string> = {
  connections: 'Connections',
  leases: 'Leases & cache',
  activity: 'Activity',
  settings: 'Settings',
};

export const useNavStore = create<{ tab: TabId }>(() => ({ tab: 'connections' }));

export function showTab(tab: TabId): void {
  useNavStore.setState({ tab });
}
