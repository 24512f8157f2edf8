// The window: header, the login form while logged out, connections, activity.
import { useHostStore } from './state/host';
import { useSessionStore, needsLogin } from './state/session';
import { ActivityList } from './ui/ActivityList';
import { ConnectionList } from './ui/ConnectionList';
import { Header } from './ui/Header';
import { LinkBanner } from './ui/LinkBanner';
import { LoginPanel } from './ui/LoginPanel';

export function App() {
  const session = useSessionStore((s) => s.session);
  const stale = useHostStore((s) => s.link !== 'open' && s.everOpen);
  return (
    <>
      <LinkBanner />
      <Header />
      <main className={stale ? 'app-main stale' : 'app-main'}>
        {session === null ? (
          <p className="empty" aria-busy="true">
            Loading…
          </p>
        ) : (
          <>
            {needsLogin(session) && <LoginPanel session={session} />}
            <ConnectionList />
            <ActivityList />
          </>
        )}
      </main>
    </>
  );
}
