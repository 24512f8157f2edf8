// Where Vault is: address (checked live as it is typed: up, sealed, unreachable, not Vault),
// namespace and the CA certificate for its TLS. Used by the first run and the Settings tab.
// The input is checked against the contract before it is sent; the host checks the address
// again and its refusal comes back next to the field it names.
import { useState, type FormEvent } from 'react';
import { VaultSettingsInput, type ApiError } from '../../../../app/api';
import { RefusalNotice, useFieldForm } from '../form';
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
    <p
      className="vault-check"
      role="status"
      aria-live="polite"
      data-testid="vault-check"
      data-status={check.state === 'done' ? check.health.status : check.state}
    >
      {check.state === 'checking' && <span className="muted">Checking…</span>}
      {check.state === 'failed' && <span className="field-problem">Could not check: {check.problem}</span>}
      {check.state === 'done' && (
        <>
          <StateBadge look={VAULT_LOOK[check.health.status]} className="state-small" />{' '}
          <span>{check.health.message}</span>
        </>
      )}
    </p>
  );
}

export function VaultForm({ initial, submitLabel, save }: VaultFormProps) {
  const form = useFieldForm<Field>(initial, (field) => {
    const name = field?.replace(/^vault\./, '');
    return name === 'address' || name === 'namespace' || name === 'caCert' ? name : undefined;
  });
  const { values, problems, update } = form;
  const [advanced, setAdvanced] = useState(Boolean(initial.caCert));
  const check = useVaultCheck(
    values.address,
    values.caCert,
    values.address !== initial.address || values.caCert !== initial.caCert,
  );

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = {
      address: values.address,
      namespace: values.namespace.trim() || null,
      caCert: values.caCert.trim() || null,
    };
    const parsed = VaultSettingsInput.safeParse(input);
    if (!parsed.success) {
      const found: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) found[String(issue.path[0]) as Field] ??= issue.message;
      return form.setProblems(found);
    }
    if ((await form.send(() => save(parsed.data))) === 'caCert') setAdvanced(true);
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
      <TextField
        label="Namespace"
        name="vault-namespace"
        optional
        placeholder="root"
        value={values.namespace}
        onChange={update('namespace')}
        problem={problems.namespace}
      />
      <details
        className="advanced"
        open={advanced}
        onToggle={(e) => setAdvanced((e.target as HTMLDetailsElement).open)}
      >
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
      <RefusalNotice error={form.refusal} />
      <div className="form-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={form.sending || !form.changed || (check.state === 'done' && !checkAllowsSave(check))}
        >
          {form.sending ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
