// The ways to use a connection: Open in GUI (databases), Open terminal (SSH: in Sesame or the
// system's terminal), Copy connection string. While a connection is off each offers "Turn on
// and …" rather than failing with "turn it on first". "Opened …" is said only after the opener
// reported success, and goes away after a while; a failure stays, with what to do instead
// (copy the connection string, choose a GUI in Settings), until the next action.
import { useState } from 'react';
import type { ConnectionView, LaunchResult } from '../../../../app/api';
import { useExpiring } from '../../lib/use-expiring';
import { launchConnection, turnOnAndWait } from '../../state/connections';
import { showTab } from '../../state/nav';
import { openTerminalTab } from '../../state/terminals';
import { CopyButton } from '../CopyButton';
import { useHostLink } from '../host-context';

type How = 'gui' | 'terminal' | 'in-app';
type Launch = { busy: How; turningOn: boolean } | { result: LaunchResult } | { error: string; how: How } | null;

/** Each action's words when the connection is on, and when it is off. */
const LABELS: Record<How, [string, string]> = {
  gui: ['Open in GUI', 'Turn on and open in GUI'],
  'in-app': ['Open terminal', 'Turn on and open terminal'],
  terminal: ['System terminal', 'Turn on and open in system terminal'],
};

const DATABASES = new Set<ConnectionView['protocol']>(['postgres', 'mysql']);

export function ConnectionActions({ view, switching }: { view: ConnectionView; switching: boolean }) {
  const link = useHostLink();
  const [launch, setLaunch] = useState<Launch>(null);
  const opened = useExpiring(launch && 'result' in launch ? launch.result : null);
  const busy = launch !== null && 'busy' in launch;
  const off = view.state === 'off';
  // Starting, or stopped with an error (the row offers Retry): nothing to open yet.
  const whyNot =
    view.state === 'starting'
      ? `Opening waits until ${view.name} is ready.`
      : view.state === 'error'
        ? `Nothing opens until ${view.name} runs again (Retry).`
        : undefined;

  async function run(how: How) {
    setLaunch({ busy: how, turningOn: off });
    if (off) {
      const reason = await turnOnAndWait(link, view.name);
      if (reason) return setLaunch({ error: `Could not turn ${view.name} on: ${reason}`, how });
    }
    if (how === 'in-app') {
      openTerminalTab(view.name);
      return setLaunch(null);
    }
    const outcome = await launchConnection(link, view.name, how);
    setLaunch('how' in outcome ? { result: outcome } : { error: outcome.message, how });
  }

  const label = (how: How) => {
    if (launch && 'busy' in launch && launch.busy === how) return launch.turningOn ? 'Turning on…' : 'Opening…';
    return LABELS[how][off ? 1 : 0];
  };
  const button = (how: How, aria: string) => (
    <button
      type="button"
      className="button button-small"
      disabled={busy || switching || whyNot !== undefined}
      title={whyNot}
      onClick={() => void run(how)}
      aria-label={off ? `Turn on ${view.name} and ${aria.charAt(0).toLowerCase()}${aria.slice(1)}` : aria}
    >
      {label(how)}
    </button>
  );

  return (
    <>
      <div className="connection-actions">
        {DATABASES.has(view.protocol) && button('gui', `Open ${view.name} in a database GUI`)}
        {view.protocol === 'ssh' && button('in-app', `Open a terminal to ${view.name} in Sesame`)}
        {view.protocol === 'ssh' && button('terminal', `Open a terminal to ${view.name} in the system terminal`)}
        {view.connectionString && (
          <CopyButton
            value={view.connectionString}
            label={`Copy connection string of ${view.name}`}
            text="Copy connection string"
          />
        )}
      </div>
      {whyNot && !busy && (
        <p className="connection-hint muted" data-testid="connection-why-not">
          {whyNot}
        </p>
      )}
      {opened && (
        <p className="connection-note" role="status">
          Opened {opened.opened}.{opened.hint ? ` ${opened.hint}` : ''}
        </p>
      )}
      {launch && 'error' in launch && (
        <div className="connection-problem" role="alert">
          <span>{launch.error}</span>
          <span className="connection-problem-actions">
            {view.connectionString && (
              <CopyButton
                value={view.connectionString}
                label={`Copy connection string of ${view.name} instead`}
                text="Copy connection string"
              />
            )}
            {launch.how === 'gui' && (
              <button type="button" className="button button-small" onClick={() => showTab('settings')}>
                Choose a GUI in Settings
              </button>
            )}
            <button
              type="button"
              className="button button-quiet button-small"
              aria-label="Dismiss"
              onClick={() => setLaunch(null)}
            >
              ×
            </button>
          </span>
        </div>
      )}
    </>
  );
}
