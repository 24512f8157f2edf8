// Says when the window has lost the host (browser mode: the WebSocket dropped).
import { useHostStore } from '../state/host';

export function LinkBanner() {
  const { link, everOpen, syncError } = useHostStore();
  if (link === 'open' && !syncError) return null;
  if (link === 'open') {
    return (
      <div className="banner banner-bad" role="alert" data-testid="link-banner">
        Sesame is connected but could not load its state: {syncError}
      </div>
    );
  }
  if (!everOpen) {
    return (
      <div className="banner banner-work" role="status" data-testid="link-banner">
        Connecting to Sesame…
      </div>
    );
  }
  return (
    <div className="banner banner-bad" role="alert" data-testid="link-banner">
      <strong>Disconnected from Sesame.</strong> Reconnecting… If Sesame was restarted, open the new link it printed.
    </div>
  );
}
