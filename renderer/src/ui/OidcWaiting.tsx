// While an OIDC login waits on the identity provider: where to continue, the URL to copy when
// no browser opened by itself, and a way out.
import { useId, useState, type ReactNode } from 'react';
import type { ApiError } from '../../../app/api';
import { logOut } from '../state/session';
import { CopyButton } from './CopyButton';
import { useHostLink } from './host-context';

/** Only web addresses become links; anything else is shown as text to copy. */
function isWebUrl(url: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

export function OidcWaiting({ url, children }: { url: string; children?: ReactNode }) {
  const link = useHostLink();
  const id = useId();
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <section className="card login" aria-labelledby={`${id}-title`} data-testid="oidc-waiting">
      <h2 id={`${id}-title`}>Continue in your browser</h2>
      <p>Sign in on your identity provider's page. If no browser window opened, copy this address into your browser:</p>
      <div className="url-box">
        <input
          className="url-field"
          readOnly
          value={url}
          aria-label="Sign-in address"
          onFocus={(e) => e.target.select()}
        />
        <CopyButton value={url} label="Copy sign-in address" />
      </div>
      {children}
      {error && (
        <p className="notice notice-bad" role="alert">
          Could not cancel: {error.message}
        </p>
      )}
      <div className="form-actions">
        {isWebUrl(url) && (
          <a className="button button-primary" href={url} target="_blank" rel="noopener noreferrer">
            Open sign-in page
          </a>
        )}
        <button type="button" className="button" onClick={async () => setError((await logOut(link)) ?? null)}>
          Cancel
        </button>
      </div>
    </section>
  );
}
