// Says, on every tab, when the config file on disk is not what runs: a hand edit with a problem.
// Sesame keeps the last good config; the banner goes when the file is fixed (a save applies it).
import { showTab, useNavStore } from '../state/nav';
import { useSettingsStore } from '../state/settings';

export function ConfigBanner() {
  const problem = useSettingsStore((s) => s.settings?.configFile.problem);
  const onSettings = useNavStore((s) => s.tab === 'settings');
  if (!problem) return null;
  return (
    <div className="banner banner-warn" role="alert" data-testid="config-banner">
      The config file has a problem, so Sesame keeps running the last good one.{' '}
      {onSettings ? (
        'The problem is shown under Config file.'
      ) : (
        <button type="button" className="button button-small" onClick={() => showTab('settings')}>
          Show the problem
        </button>
      )}
    </div>
  );
}
