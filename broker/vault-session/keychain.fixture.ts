// Run by keychain.test.ts in a child process whose environment points keytar at a private
// gnome-keyring (keytar binds to the D-Bus session of the process that loads it). One step per
// run, so "restore after restart" is a real restart:
//   node --import tsx keychain.fixture.ts <login|restore|logout> <vault address> [token]
// Prints one JSON line: the session snapshot and what the keychain holds (the token as a hash).
import { createHash } from 'node:crypto';
import { keytarSecretStore, loadKeytar } from '../keychain';
import { createLogger } from '../log';
import { createVaultClient } from '../vault';
import { createVaultSession } from './session';
import { tokenAccount, type SecretStoreLike } from './token-store';

const [step, address, token] = process.argv.slice(2);
if (!step || !address) throw new Error('usage: keychain.fixture.ts <login|restore|logout> <vault address> [token]');

const loaded = await loadKeytar();
if ('missing' in loaded) throw new Error(loaded.missing);
const { keytar } = loaded;
const store: SecretStoreLike = keytarSecretStore(keytar, 'sesame');
const vault = createVaultClient({ address });
const session = createVaultSession(
  vault,
  createLogger('child', () => {}),
  { store },
);
const events: string[] = [];
session.onEvent((e) => events.push(e.type));

if (step === 'login') await session.login({ method: 'token', token: token! });
if (step === 'restore' || step === 'logout') await session.restore();
if (step === 'logout') await session.logout();

const raw = await keytar.getPassword('sesame', tokenAccount(address));
const stored = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
const snap = session.snapshot();
session.close();
process.stdout.write(
  `${JSON.stringify({
    state: snap.state,
    accessor: snap.accessor ?? null,
    method: snap.method ?? null,
    persistence: snap.persistence ?? null,
    events,
    stored: stored && { ...stored, token: createHash('sha256').update(String(stored.token)).digest('hex') },
  })}\n`,
);
