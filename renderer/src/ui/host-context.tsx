// The HostLink for components that send commands; stores get it passed in, never import it.
import { createContext, useContext, type ReactNode } from 'react';
import type { HostLink } from '../transport';

const HostLinkContext = createContext<HostLink | null>(null);

export function HostLinkProvider({ link, children }: { link: HostLink; children: ReactNode }) {
  return <HostLinkContext.Provider value={link}>{children}</HostLinkContext.Provider>;
}

export function useHostLink(): HostLink {
  const link = useContext(HostLinkContext);
  if (!link) throw new Error('useHostLink needs a HostLinkProvider above it.');
  return link;
}
