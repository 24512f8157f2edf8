// The first run: no config file yet, so Sesame asks where Vault is (checked live as it is
// typed), writes the config file, and starts; the login form follows.
import { useHostStore } from '../state/host';
import { updateSettings } from '../state/settings';
import { useHostLink } from './host-context';
import { VaultForm } from './settings/VaultForm';

export function SetupPanel() {
  const link = useHostLink();
  const configPath = useHostStore((s) => s.info?.configPath);
  return (
    <section className="card setup" aria-labelledby="setup-title" data-testid="setup">
      <h2 id="setup-title">Welcome to Sesame</h2>
      <p>Sesame opens your databases and SSH hosts with credentials that stay in Vault. First: where is your Vault?</p>
      <VaultForm
        initial={{ address: '', namespace: '', caCert: '' }}
        submitLabel="Continue"
        save={async (vault) => {
          const outcome = await updateSettings(link, { vault });
          return 'error' in outcome ? outcome.error : undefined;
        }}
      />
      {configPath && (
        <p className="hint">
          Sesame keeps this in <code>{configPath}</code>; you can change it later in Settings.
        </p>
      )}
    </section>
  );
}
