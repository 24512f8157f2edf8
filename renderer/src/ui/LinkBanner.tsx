// Says when the window has lost the host (browser mode: the WebSocket dropped), or was never
// let in (the link was used, expired, or Sesame restarted).
import type { BridgeDenial } from '../../../app/api';
import { useHostStore } from '../state/host';

const NEW_LINK = 'For a new link, press Enter in the terminal where `sesame start` runs.';
const DENIAL_WORDS: Record<BridgeDenial, string> = {
  'link-unknown': 'This Sesame link was already used or is not valid: each link opens one tab.',
  'link-expired': 'This Sesame link has expired: links work for one minute.',
  'session-unknown': 'This tab is no longer signed in to Sesame (it was restarted).',
  'no-hello': 'This tab did not sign in to Sesame in time.',
  'bad-hello': 'This tab could not sign in to Sesame.',
};

export function LinkBanner() {
  const { link, denial, everOpen, syncError } = useHostStore();
  if (link === 'open' && !syncError) return null;
  if (link === 'denied') {
    return (
      <div className="banner banner-bad" role="alert" data-testid="link-banner" data-denial={denial ?? ''}>
        <strong>Not signed in.</strong> {DENIAL_WORDS[denial ?? 'session-unknown']} {NEW_LINK}
      </div>
    );
  }
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
