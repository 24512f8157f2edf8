// The opt-in persistent cache (Vault Agent's `cache { persist }`): cached tokens and leases —
// never KV secrets — written to a file encrypted with AES-256-GCM under a key kept in the OS
// keychain, and restored at the next start. The file is tied to the session token: if that
// token has changed or expired meanwhile, the file is discarded. Without a keychain nothing is
// written at all: a token never reaches the disk in a form anyone can read.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecretStoreLike } from '../vault-session/token-store';
import type { LeaseRegistry } from '../leases';
import type { Logger } from '../log';
import type { CacheEntry, CacheIndex } from './cache-index';
import type { AutoAuthSource } from './auto-auth';
import type { LeaseCache } from './lease-cache';

export interface PersistOptions {
  /** The encrypted cache file. */
  file: string;
  /** Keeps the file's key (the app's SecretStore: the OS keychain). */
  store: SecretStoreLike;
  /** Keychain account of the key (default `sesame-agent-cache|<file>`). */
  account?: string;
  /** Debounce between a change and the write (default 500 ms). */
  writeDelayMs?: number;
}

export interface CachePersistence {
  /** Restored entries at start (0 when the file was absent or discarded). */
  readonly restored: number;
  /** Write now (pending changes are otherwise written after writeDelayMs). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Deps {
  index: CacheIndex;
  registry: LeaseRegistry;
  cache: LeaseCache;
  log: Logger;
  autoAuth?: AutoAuthSource;
}

interface SavedEntry extends Omit<CacheEntry, 'response' | 'allowed'> {
  response: { status: number; headers: Record<string, string>; body: string; cachedAt: number };
  expiresAt: string;
  issuedAt: string;
  increment: number;
  parentId?: string;
}

interface SavedCache {
  version: 1;
  /** sha256 of the session token the entries hang on. */
  sessionToken: string;
  savedAt: string;
  entries: SavedEntry[];
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

function encrypt(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.from(
    JSON.stringify({
      v: 1,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    }),
  );
}

function decrypt(key: Buffer, file: Buffer): Buffer {
  const box = JSON.parse(file.toString('utf8')) as { v: number; iv: string; tag: string; data: string };
  if (box.v !== 1) throw new Error(`unknown cache file version ${box.v}`);
  // The full 16-byte tag only: Node would otherwise accept one cut down to 4 bytes.
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'), { authTagLength: 16 });
  const tag = Buffer.from(box.tag, 'base64');
  if (tag.length !== 16) throw new Error(`the cache file's authentication tag is ${tag.length} bytes, not 16`);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(Buffer.from(box.data, 'base64')), decipher.final()]);
}

/** The TTL first granted, read back from the cached answer: what each renewal asks for. */
function grantedTtl(entry: CacheEntry): number {
  try {
    const body = JSON.parse(entry.response.body.toString('utf8')) as {
      lease_duration?: number;
      auth?: { lease_duration?: number };
    };
    return (entry.kind === 'lease' ? body.lease_duration : body.auth?.lease_duration) ?? 0;
  } catch {
    return 0;
  }
}

const noPersistence = (): CachePersistence => ({ restored: 0, flush: async () => {}, close: async () => {} });

export async function createCachePersistence(options: PersistOptions, deps: Deps): Promise<CachePersistence> {
  const { index, registry, cache, log, autoAuth } = deps;
  if (options.store.kind === 'memory') {
    log.warn('the persistent cache is off: there is no keychain to keep its key in', {
      reason: options.store.unavailableReason,
    });
    return noPersistence();
  }
  if (!autoAuth) {
    log.warn('the persistent cache is off: it needs the session (auto-auth) token');
    return noPersistence();
  }
  const account = options.account ?? `sesame-agent-cache|${path.resolve(options.file)}`;
  let keyText = await options.store.get(account);
  if (!keyText) {
    keyText = randomBytes(32).toString('base64');
    await options.store.set(account, keyText);
  }
  const key = Buffer.from(keyText, 'base64');
  if (key.length !== 32)
    throw new Error(`the persistent cache key in the keychain (${account}) is not 32 bytes; delete it to start over`);

  const restored = await restore();

  async function restore(): Promise<number> {
    let raw: Buffer;
    try {
      raw = await readFile(options.file);
    } catch {
      return 0;
    }
    let saved: SavedCache;
    try {
      saved = JSON.parse(decrypt(key, raw).toString('utf8')) as SavedCache;
    } catch (error) {
      log.warn('the persistent cache file cannot be read; starting empty', {
        file: options.file,
        error: (error as Error).message,
      });
      await rm(options.file, { force: true });
      return 0;
    }
    const session = await autoAuth!.current();
    if (!session) {
      // Not logged in (yet), e.g. Vault was unreachable at start: whose the file is cannot be
      // told, so it is kept for a start with the session, not thrown away.
      log.info('the persistent cache was not restored: there is no Vault session yet; the file is kept', {
        file: options.file,
      });
      return 0;
    }
    if (hashToken(session) !== saved.sessionToken) {
      log.info('the persistent cache belongs to a session that has ended; discarding it', { file: options.file });
      await rm(options.file, { force: true });
      return 0;
    }
    // Parents before children, so each lease finds the token it hangs on.
    const pending = saved.entries.filter((e) => Date.parse(e.expiresAt) > Date.now());
    let count = 0;
    for (let round = 0; round < 8 && pending.length; round++) {
      for (const e of [...pending]) {
        if (e.parentId && !registry.has(e.parentId)) continue;
        pending.splice(pending.indexOf(e), 1);
        const { expiresAt, issuedAt, increment, parentId, response, ...rest } = e;
        cache.adopt(
          { ...rest, response: { ...response, body: Buffer.from(response.body, 'base64') } },
          {
            expiresAt: new Date(expiresAt),
            issuedAt: new Date(issuedAt),
            increment,
            ...(parentId ? { parentId } : {}),
          },
        );
        count++;
      }
    }
    log.info('restored the persistent cache', { entries: count, dropped: pending.length });
    return count;
  }

  async function write() {
    const session = await autoAuth!.current();
    if (!session) return; // nothing can be restored without the session: keep the last file
    const entries: SavedEntry[] = [];
    for (const entry of index.all()) {
      if (entry.kind === 'static') continue;
      const record = registry.get(entry.id);
      if (!record?.expiresAt || record.endedAt) continue;
      const { response, allowed: _allowed, ...rest } = entry;
      entries.push({
        ...rest,
        response: { ...response, body: response.body.toString('base64') },
        expiresAt: record.expiresAt.toISOString(),
        issuedAt: record.issuedAt.toISOString(),
        increment: grantedTtl(entry),
        ...(record.parentId ? { parentId: record.parentId } : {}),
      });
    }
    const saved: SavedCache = {
      version: 1,
      sessionToken: hashToken(session),
      savedAt: new Date().toISOString(),
      entries,
    };
    await mkdir(path.dirname(options.file), { recursive: true, mode: 0o700 });
    const temp = `${options.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, encrypt(key, Buffer.from(JSON.stringify(saved))), { mode: 0o600 });
      await chmod(temp, 0o600);
      await rename(temp, options.file);
    } catch (error) {
      await rm(temp, { force: true });
      log.warn('could not write the persistent cache', {
        file: options.file,
        error: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      });
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    writing = writing.then(write, write);
    return writing;
  };
  const off = registry.onChange((change) => {
    if (change.lease.origin.type !== 'proxy' || change.lease.kind === 'kv-secret') return;
    timer ??= setTimeout(() => void flush(), options.writeDelayMs ?? 500);
  });

  return {
    restored,
    flush,
    async close() {
      off();
      if (timer) await flush();
      await writing;
    },
  };
}
