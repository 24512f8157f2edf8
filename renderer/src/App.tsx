// The window: header, the login form while logged out, and four tabs — Connections, Leases &
// cache, Activity, Settings. Only the selected tab's content is mounted; the stores keep
// everything else current from the host's events.
import { useEffect, useRef, type ComponentType } from 'react';
import { useHostStore } from './state/host';
import { isEnded, useLeasesStore } from './state/leases';
import { showTab, TAB_LABELS, TABS, useNavStore, type TabId } from './state/nav';
import { useSessionStore, needsLogin } from './state/session';
import { ActivityTab } from './ui/activity/ActivityTab';
import { ConfigBanner } from './ui/ConfigBanner';
import { ConnectionsTab } from './ui/connections/ConnectionsTab';
import { Header } from './ui/Header';
import { KeyApprovals } from './ui/KeyApprovals';
import { LeasesTab } from './ui/leases/LeasesTab';
import { LinkBanner } from './ui/LinkBanner';
import { LoginPanel } from './ui/LoginPanel';
import { SettingsTab } from './ui/settings/SettingsTab';
import { SetupPanel } from './ui/SetupPanel';
import { TerminalDock } from './ui/terminal/TerminalDock';
import { panelId, tabId, Tabs } from './ui/Tabs';

const PANELS: Record<TabId, ComponentType> = {
  connections: ConnectionsTab,
  leases: LeasesTab,
  activity: ActivityTab,
  settings: SettingsTab,
};

/** After a login the login form goes away: focus moves to the tab's heading, not to <body>. */
function useFocusAfterLogin(loggedIn: boolean | undefined): void {
  const before = useRef(loggedIn);
  useEffect(() => {
    if (before.current === false && loggedIn) {
      const heading = document.querySelector<HTMLElement>('[data-focus-after-login]');
      (heading ?? document.querySelector<HTMLElement>('[role="tabpanel"]:not([hidden])'))?.focus();
    }
    before.current = loggedIn;
  }, [loggedIn]);
}

export function App() {
  const session = useSessionStore((s) => s.session);
  useFocusAfterLogin(session ? !needsLogin(session) : undefined);
  const stale = useHostStore((s) => s.link !== 'open' && s.everOpen);
  const setup = useHostStore((s) => s.info?.setup ?? false);
  const tab = useNavStore((s) => s.tab);
  // The badge counts what is live; ended entries linger a while but are not "in the cache".
  const leaseCount = useLeasesStore((s) =>
    s.status === 'ready' ? [...s.byId.values()].filter((e) => !isEnded(e.view)).length : undefined,
  );
  const Panel = PANELS[tab];
  return (
    <>
      <LinkBanner />
      <ConfigBanner />
      <Header />
      {!setup && (
        <nav className="tab-bar" aria-label="Sections">
          <Tabs
            label="Sesame"
            tabs={TABS}
            labels={TAB_LABELS}
            badges={{ leases: leaseCount ? leaseCount.toLocaleString() : undefined }}
            selected={tab}
            onSelect={showTab}
          />
        </nav>
      )}
      <KeyApprovals />
      <main className={stale ? 'app-main stale' : 'app-main'}>
        {session === null ? (
          <p className="empty" aria-busy="true">
            Loading…
          </p>
        ) : setup ? (
          <SetupPanel />
        ) : (
          <>
            {needsLogin(session) && <LoginPanel session={session} />}
            {TABS.map((id) => (
              <section
                key={id}
                role="tabpanel"
                id={panelId(id)}
                aria-labelledby={tabId(id)}
                hidden={id !== tab}
                tabIndex={id === tab ? 0 : -1}
                className="tab-panel"
              >
                {id === tab && <Panel />}
              </section>
            ))}
          </>
        )}
      </main>
      {/* Terminals outlive a session expiry: their SSH sessions are already logged in. */}
      {session !== null && <TerminalDock />}
    </>
  );
}
