// Run by persist.test.ts in a child process that sees a private gnome-keyring (keytar binds to
// the D-Bus session of the process that loads it). One Sesame "run" per process:
//   node --import tsx persist.fixture.ts <vault address> <cache file> <run: first|again> [token]
// `first` logs in with the token; `again` restores the session from the keychain. Both start
// the proxy with the persistent cache, send the same token-creating request, and print one
// JSON line with what happened.
import { createVaultSession, type SecretStoreLike } from '../vault-session';
import { keytarSecretStore, loadKeytar } from '../keychain';
import { createLogger } from '../log';
import { createVaultClient } from '../vault';
import { startAgentProxy } from './index';
import { raw } from './testing';

const [address, file, run, token] = process.argv.slice(2);
if (!address || !file || !run)
  throw new Error('usage: persist.fixture.ts <vault address> <cache file> <first|again> [token]');

const loaded = await loadKeytar();
if ('missing' in loaded) throw new Error(loaded.missing);
const { keytar } = loaded;
const store: SecretStoreLike = keytarSecretStore(keytar, 'sesame');
const log = createLogger(
  'child',
  (r) => process.env.SESAME_DEBUG && process.stderr.write(`${JSON.stringify(r)}\n`),
  'debug',
);
const session = createVaultSession(createVaultClient({ address }), log, { store });
if (run === 'first') await session.login({ method: 'token', token: token! });
else await session.restore();

const proxy = await startAgentProxy({
  vaultAddress: address,
  listen: '127.0.0.1:0',
  session,
  log,
  persist: { file, store, writeDelayMs: 20 },
});
const answer = await raw(proxy.address, 'POST', '/v1/auth/token/create', {
  body: { policies: ['default'], ttl: '1h', meta: { run: 'persist' } },
});
const accessor = answer.json.auth?.accessor as string | undefined;
const entry = accessor ? proxy.registry.get(`token:${accessor}`) : undefined;
await proxy.close();
session.close();
process.stdout.write(
  `${JSON.stringify({ restored: proxy.restoredEntries, session: session.snapshot().state, cache: answer.headers['x-cache'], accessor, parentId: entry?.parentId ?? null })}\n`,
);
