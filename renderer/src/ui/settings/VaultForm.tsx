// Where Vault is: address (checked live as it is typed: up, sealed, unreachable, not Vault),
// namespace and the CA certificate for its TLS. Used by the first run and the Settings tab.
// The input is checked against the contract before it is sent; the host checks the address
// again and its refusal comes back next to the field it names.
import { useState, type FormEvent } from 'react';
import { VaultSettingsInput, type ApiError } from '../../../../app/api';
import { errorTitle } from '../../lib/errors';
import { StateBadge, VAULT_LOOK } from '../StateBadge';
import { TextField } from '../TextField';
import { checkAllowsSave, useVaultCheck, type VaultCheck } from './useVaultCheck';

export interface VaultFormValues {
  address: string;
  namespace: string;
  caCert: string;
}

type Field = keyof VaultFormValues;

export interface VaultFormProps {
  initial: VaultFormValues;
  submitLabel: string;
  /** Send the settings; resolves to the host's refusal, if any. */
  save(input: VaultSettingsInput): Promise<ApiError | undefined>;
}

function CheckLine({ check }: { check: VaultCheck }) {
  if (check.state === 'idle' || check.state === 'invalid') return null;
  return (
    <p className="vault-check" role="status" aria-live="polite" data-testid="vault-check" data-status={check.state === 'done' ? check.health.status : check.state}>
      {check.state === 'checking' && <span className="muted">Checking…</span>}
      {check.state === 'failed' && <span className="field-problem">Could not check: {check.problem}</span>}
      {check.state === 'done' && (
        <>
          <StateBadge look={VAULT_LOOK[check.health.status]} className="state-small" /> <span>{check.health.message}</span>
        </>
      )}
    </p>
  );
}

export function VaultForm({ initial, submitLabel, save }: VaultFormProps) {
  const [values, setValues] = useState(initial);
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const [advanced, setAdvanced] = useState(Boolean(initial.caCert));
  const changed = values.address !== initial.address || values.namespace !== initial.namespace || values.caCert !== initial.caCert;
  const check = useVaultCheck(values.address, values.caCert, values.address !== initial.address || values.caCert !== initial.caCert);

  const update = (field: Field) => (value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setProblems((p) => ({ ...p, [field]: undefined }));
    setRefusal(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setRefusal(null);
    const input = { address: values.address, namespace: values.namespace.trim() || null, caCert: values.caCert.trim() || null };
    const parsed = VaultSettingsInput.safeParse(input);
    if (!parsed.success) {
      const found: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) found[String(issue.path[0]) as Field] ??= issue.message;
      return setProblems(found);
    }
    setSending(true);
    const error = await save(parsed.data);
    setSending(false);
    if (!error) return;
    const field = error.field?.replace(/^vault\./, '') as Field | undefined;
    if (field && field in initial) {
      setProblems({ [field]: error.message });
      if (field === 'caCert') setAdvanced(true);
    } else setRefusal(error);
  }

  const addressProblem = problems.address ?? (check.state === 'invalid' ? check.problem : undefined);
  return (
    <form onSubmit={submit} noValidate className="vault-form">
      <TextField
        label="Vault address"
        name="vault-address"
        inputMode="url"
        placeholder="https://vault.example.com:8200"
        value={values.address}
        onChange={update('address')}
        problem={addressProblem}
      />
      <CheckLine check={check} />
      <TextField label="Namespace" name="vault-namespace" optional placeholder="root" value={values.namespace} onChange={update('namespace')} problem={problems.namespace} />
      <details className="advanced" open={advanced} onToggle={(e) => setAdvanced((e.target as HTMLDetailsElement).open)}>
        <summary>TLS</summary>
        <TextField
          label="CA certificate file"
          name="vault-ca-cert"
          optional
          placeholder="/path/to/vault-ca.pem"
          value={values.caCert}
          onChange={update('caCert')}
          problem={problems.caCert}
          hint="When Vault's certificate is signed by your own CA. Otherwise the system's roots are used."
        />
      </details>
      {refusal && (
        <div className="notice notice-bad" role="alert">
          <strong>{errorTitle(refusal.code)}.</strong> {refusal.message}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={sending || !changed || (check.state === 'done' && !checkAllowsSave(check))}>
          {sending ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
