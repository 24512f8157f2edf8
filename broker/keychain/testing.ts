// For the keychain tests: '' when keytar loads, else " — skipped: <why>" to put in the suite's
// name (with describe.skipIf), so a run without the module says so instead of passing quietly.
import { loadKeytar } from './index';

export async function keytarSkipNote(): Promise<string> {
  const loaded = await loadKeytar();
  return 'missing' in loaded ? ` — skipped: ${loaded.missing}` : '';
}
