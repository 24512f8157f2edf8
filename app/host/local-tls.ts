// TLS on the brokers' local leg: a per-install CA (its key and certificate kept in the key store
// — the OS keychain, Electron's encrypted storage, or without either a 0600 file in a private
// folder: key-store.ts), a server certificate for localhost, 127.0.0.1 and ::1 issued from it
// at every start, and the CA's certificate written next to the config (`local-ca.pem`) for
// clients to verify with (psql sslrootcert=…, mariadb --ssl-ca=…). With a store that keeps
// nothing the CA is made anew each run, and the activity says so.
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { LocalTlsIdentity } from '../../broker/connector-kit';
import { createLocalCa, isUsableCa, issueLocalServerCertificate, type KeyAndCertificate } from '../../broker/local-ca';
import type { Logger } from '../../broker/log';
import { writePrivateFile } from '../../broker/private-files';
import type { ActivityLog } from './activity';
import type { KeyStore } from './key-store';

/** The SecretStore account of the CA (key and certificate, JSON). */
export const LOCAL_CA_ACCOUNT = 'local-tls-ca';
/** The CA certificate's file name, in the config file's directory. */
export const LOCAL_CA_FILE = 'local-ca.pem';

export interface LocalTls {
  /** What the database brokers present to clients that ask for TLS. */
  readonly identity: LocalTlsIdentity;
  /** The CA certificate clients verify with; undefined when it could not be written. */
  readonly caFile: string | undefined;
}

export interface LocalTlsOptions {
  readonly secrets: KeyStore & { readonly unavailableReason?: string };
  /** Where the CA certificate is written (the config file's directory). */
  readonly dir: string;
  readonly log: Logger;
  readonly activity: ActivityLog;
}

function parseStored(text: string | null): KeyAndCertificate | undefined {
  if (!text) return undefined;
  try {
    const { key, cert } = JSON.parse(text) as Partial<KeyAndCertificate>;
    return typeof key === 'string' && typeof cert === 'string' ? { key, cert } : undefined;
  } catch {
    return undefined;
  }
}

/** Loads the CA from the store (or makes and keeps a new one), issues the brokers' certificate, exports the CA. */
export async function prepareLocalTls({ secrets, dir, log, activity }: LocalTlsOptions): Promise<LocalTls> {
  const file = path.join(dir, LOCAL_CA_FILE);
  const stored = parseStored(await secrets.get(LOCAL_CA_ACCOUNT).catch(() => null));
  let ca = stored && isUsableCa(stored) ? stored : undefined;
  if (!ca) {
    ca = createLocalCa();
    const kept = await secrets
      .set(LOCAL_CA_ACCOUNT, JSON.stringify(ca))
      .then(() => true)
      .catch((error: Error) => {
        log.warn('could not keep the local TLS CA in the secret store', { error: error.message });
        return false;
      });
    const again = `clients that verify TLS need ${file} again`;
    if (secrets.kind === 'memory' || !kept) {
      const why = secrets.kind === 'memory' ? (secrets.unavailableReason ?? 'no keychain') : 'the keychain refused it';
      const message = `the local TLS CA is made anew at every start: there is no keychain to keep it (${why}); ${again} after each start`;
      log.warn(message);
      activity.add({ level: 'warn', kind: 'local-tls', message });
    } else if (stored) {
      const message = `the local TLS CA in ${secrets.folder ?? `the ${secrets.kind}`} had expired or was unusable; made a new one: ${again}`;
      log.warn(message);
      activity.add({ level: 'warn', kind: 'local-tls', message });
    }
  }
  const identity = issueLocalServerCertificate(ca);
  let caFile: string | undefined = file;
  try {
    await writePrivateFile(file, ca.cert, { sharedDir: true });
  } catch (error) {
    caFile = undefined;
    const message = `could not write the local TLS CA certificate to ${file} (${(error as Error).message}); TLS clients cannot verify the brokers`;
    log.warn(message);
    activity.add({ level: 'error', kind: 'local-tls', message });
  }
  log.info('local TLS CA', { file: caFile, fingerprint: new X509Certificate(ca.cert).fingerprint256 });
  return { identity, caFile };
}
