// Host certificates checked against a host CA. ssh2's key exchange cannot negotiate
// certificate host key algorithms, so the target's host certificate is fetched out of band
// with OpenSSH's `ssh-keyscan -c` and bound to the key ssh2's key exchange proved: the
// certificate is public data signed by the CA; what makes it apply to this connection is that
// the key it certifies is the very key the server just signed the exchange hash with.
import { spawn } from 'node:child_process';
import {
  HOST_CERT,
  isSignedBy,
  isValidAt,
  parseCertificateLine,
  samePublicKey,
  type SshCertificate,
} from './certificate';
import { fingerprint } from './keys';

export type HostCertificateCheck = { ok: true; certificate: SshCertificate } | { ok: false; reason: string };

/** Runs `ssh-keyscan -c` against host:port and returns the certificates it printed. */
export function fetchHostCertificates(host: string, port: number, timeoutMs: number): Promise<SshCertificate[]> {
  if (host.startsWith('-')) return Promise.reject(new Error(`invalid host name ${JSON.stringify(host)}`));
  return new Promise((resolve, reject) => {
    const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
    let child;
    try {
      child = spawn('ssh-keyscan', ['-c', '-T', seconds, '-p', String(port), host], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (error) {
      reject(new Error(`cannot run ssh-keyscan (${(error as Error).message})`));
      return;
    }
    let output = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 2_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (output.length < 256 * 1024) output += chunk.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(guard);
      reject(
        new Error(
          error.code === 'ENOENT'
            ? 'ssh-keyscan (OpenSSH client) is not installed'
            : `ssh-keyscan failed (${error.message})`,
        ),
      );
    });
    child.on('close', () => {
      clearTimeout(guard);
      const certificates: SshCertificate[] = [];
      for (const line of output.split('\n')) {
        // `-c` prints `TYPE BASE64` (older versions prefix the host): start at the type.
        const fields = line.trim().split(/\s+/);
        const at = fields.findIndex((f) => f.endsWith('-cert-v01@openssh.com'));
        if (at < 0 || line.startsWith('#') || !fields[at + 1]) continue;
        try {
          certificates.push(parseCertificateLine(`${fields[at]} ${fields[at + 1]}`, 'a host certificate'));
        } catch {
          // Plain keys and anything unparsable are not certificates: skip them.
        }
      }
      resolve(certificates);
    });
  });
}

/** Is one of `certificates` a valid host certificate for `host` over `presentedKey`, by one of `cas`? */
export function checkHostCertificate(
  certificates: readonly SshCertificate[],
  presentedKey: Buffer,
  cas: readonly Buffer[],
  host: string,
  now = new Date(),
): HostCertificateCheck {
  const forKey = certificates.filter((c) => samePublicKey(c.publicKeyBlob, presentedKey));
  if (forKey.length === 0) {
    return { ok: false, reason: `the host presented no certificate for its key ${fingerprint(presentedKey)}` };
  }
  let reason = 'its host certificate is not signed by a trusted host CA';
  for (const certificate of forKey) {
    if (certificate.kind !== HOST_CERT) reason = 'its certificate is a user certificate, not a host certificate';
    else if (!cas.some((ca) => isSignedBy(certificate, ca)))
      reason = 'its host certificate is not signed by a trusted host CA';
    else if (!isValidAt(certificate, now)) reason = 'its host certificate has expired or is not yet valid';
    else if (
      certificate.principals.length > 0 &&
      !certificate.principals.some((p) => p.toLowerCase() === host.toLowerCase())
    ) {
      reason = `its host certificate is not valid for the name ${host} (principals: ${certificate.principals.join(', ')})`;
    } else return { ok: true, certificate };
  }
  return { ok: false, reason };
}
