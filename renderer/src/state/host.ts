// The link to the host and what the host says about itself.
import { create } from 'zustand';
import type { AppInfo, BridgeDenial } from '../../../app/api';
import type { LinkState } from '../transport';

interface HostState {
  link: LinkState;
  /** Why the bridge would not sign this tab in (link `denied`). */
  denial: BridgeDenial | null;
  /** Whether the link has ever been open: a first connect is not a "disconnect". */
  everOpen: boolean;
  info: AppInfo | null;
  /** Plain words when the first load after (re)connecting failed. */
  syncError: string | null;
}

export const useHostStore = create<HostState>(() => ({
  link: 'connecting',
  denial: null,
  everOpen: false,
  info: null,
  syncError: null,
}));

export function setLinkState(link: LinkState, denial?: BridgeDenial): void {
  useHostStore.setState((s) => ({ link, denial: denial ?? null, everOpen: s.everOpen || link === 'open' }));
}
