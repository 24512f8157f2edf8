// The live health check of a Vault address being typed: the form is checked locally first
// (no request for "https://"), then the host asks the address itself, 400 ms after the last
// keystroke. Answers to older keystrokes are dropped, so the line always matches the input.
import { useEffect, useRef, useState } from 'react';
import { VaultAddressInput, type VaultHealthView } from '../../../../app/api';
import { asApiError } from '../../lib/errors';
import { useHostLink } from '../host-context';

export type VaultCheck =
  | { state: 'idle' }
  | { state: 'invalid'; problem: string }
  | { state: 'checking' }
  | { state: 'done'; health: VaultHealthView }
  | { state: 'failed'; problem: string };

const DELAY_MS = 400;

/** `enabled: false` (the address as saved): no check; the header already shows that Vault's health. */
export function useVaultCheck(address: string, caCert: string, enabled = true): VaultCheck {
  const link = useHostLink();
  const [check, setCheck] = useState<VaultCheck>({ state: 'idle' });
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    if (!enabled || address.trim() === '') return setCheck({ state: 'idle' });
    const form = VaultAddressInput.safeParse(address);
    if (!form.success)
      return setCheck({ state: 'invalid', problem: form.error.issues[0]?.message ?? 'This is not a Vault address.' });
    setCheck({ state: 'checking' });
    const timer = setTimeout(() => {
      link.call('vault.check', { address: form.data, ...(caCert.trim() ? { caCert: caCert.trim() } : {}) }).then(
        (health) => mine === generation.current && setCheck({ state: 'done', health }),
        (error: unknown) =>
          mine === generation.current && setCheck({ state: 'failed', problem: asApiError(error).message }),
      );
    }, DELAY_MS);
    return () => clearTimeout(timer);
  }, [address, caCert, enabled, link]);

  return check;
}

/** Whether a checked address may be saved: Vault answered (even sealed or standby). */
export function checkAllowsSave(check: VaultCheck): boolean {
  return check.state === 'done' && !['unreachable', 'error'].includes(check.health.status);
}
