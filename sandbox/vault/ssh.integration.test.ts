// The SSH CA engine: certificates parsed by the real ssh-keygen -L, accepted by the real sshd
// (TrustedUserCAKeys) through the real ssh client, and refused once their TTL has passed.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type SshdServer } from '../servers/index';
import { sleep, targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[ssh] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`ssh CA engine (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    let dir: string;
    let caLine: string;

    /** A fresh user key pair of `type`; returns the private key path and public key line. */
    async function userKey(type: 'ed25519' | 'rsa' | 'ecdsa', name: string): Promise<{ file: string; pub: string }> {
      const file = path.join(dir, name);
      const r = await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
      expect(r.code).toBe(0);
      return { file, pub: fs.readFileSync(`${file}.pub`, 'utf8') };
    }

    async function signTo(file: string, body: Record<string, unknown>, role = 'dev'): Promise<string> {
      const r = await v.post(`ssh-client-signer/sign/${role}`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const certFile = `${file}-cert.pub`;
      fs.writeFileSync(certFile, r.body.data.signed_key);
      return certFile;
    }

    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-vault-ssh-'));
      expect((await v.post('sys/mounts/ssh-client-signer', { type: 'ssh' })).status).toBe(204);
    });
    afterAll(async () => {
      await target?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('config/ca generates an ed25519 CA; public_key serves it without a token', async () => {
      const r = await v.post('ssh-client-signer/config/ca', { generate_signing_key: true, key_type: 'ed25519' });
      expect(r.status).toBe(200);
      caLine = r.body.data.public_key;
      expect(caLine).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
      const pub = await v.get('ssh-client-signer/public_key', { token: '' });
      expect(pub.status).toBe(200);
      expect(pub.text.trim()).toBe(caLine);
      expect((await v.post('ssh-client-signer/config/ca', { generate_signing_key: true })).status).toBe(400);
      const role = {
        key_type: 'ca',
        allow_user_certificates: true,
        allowed_users: `${os.userInfo().username},deploy`,
        default_user: os.userInfo().username,
        ttl: '10m',
        max_ttl: '1h',
        default_extensions: { 'permit-pty': '' },
        allowed_extensions: 'permit-pty,permit-port-forwarding',
      };
      expect((await v.post('ssh-client-signer/roles/dev', role)).status).toBe(204);
      expect((await v.get('ssh-client-signer/roles/dev')).body.data).toMatchObject({
        key_type: 'ca',
        allow_user_certificates: true,
        ttl: 600,
        max_ttl: 3600,
      });
    });

    it.each(['ed25519', 'rsa', 'ecdsa'] as const)(
      'signs a %s user key; ssh-keygen -L parses the certificate',
      async (type) => {
        const key = await userKey(type, `user-${type}`);
        const r = await v.post('ssh-client-signer/sign/dev', {
          public_key: key.pub,
          valid_principals: 'deploy',
          cert_type: 'user',
        });
        expect(r.status).toBe(200);
        expect(r.body.lease_id).toBe('');
        expect(r.body.data.serial_number).toMatch(/^[0-9a-f]+$/);
        expect(r.body.data.signed_key).toMatch(/-cert-v01@openssh\.com AAAA/);
        const certFile = `${key.file}-cert.pub`;
        fs.writeFileSync(certFile, r.body.data.signed_key);
        const listed = await run('ssh-keygen', ['-L', '-f', certFile]);
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout).toMatch(/user certificate/);
        expect(listed.stdout).toMatch(/Principals:\s+deploy/);
        expect(listed.stdout).toMatch(/permit-pty/);
        expect(listed.stdout).toMatch(/Signing CA: ED25519/);
      },
    );

    it('sshd (TrustedUserCAKeys) accepts the certificate with real ssh, and refuses it after its TTL', async () => {
      let sshd: SshdServer | undefined;
      try {
        sshd = await startSshd({ trustedUserCaKeys: [caLine] });
        const knownHosts = path.join(dir, 'known_hosts');
        fs.writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
        const key = await userKey('ed25519', 'login');
        const signedAt = Date.now();
        const cert = await signTo(key.file, { public_key: key.pub, valid_principals: sshd.user, ttl: '3s' });
        const ssh = (certificateFile: string) =>
          run('ssh', [
            '-F',
            '/dev/null',
            '-i',
            key.file,
            '-o',
            `CertificateFile=${certificateFile}`,
            '-o',
            'IdentitiesOnly=yes',
            '-o',
            `UserKnownHostsFile=${knownHosts}`,
            '-o',
            'GlobalKnownHostsFile=/dev/null',
            '-o',
            'StrictHostKeyChecking=yes',
            '-o',
            'BatchMode=yes',
            '-o',
            'ConnectTimeout=10',
            '-p',
            String(sshd?.port),
            `${sshd?.user}@127.0.0.1`,
            'echo vault-cert-ok',
          ]);
        const ok = await ssh(cert);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stdout.trim()).toBe('vault-cert-ok');
        // valid_before is at most signing time + 3 s (whole seconds): wait past it.
        const wait = signedAt + 5000 - Date.now();
        if (wait > 0) await sleep(wait);
        const expired = await ssh(cert);
        expect(expired.code).not.toBe(0);
      } finally {
        await sshd?.stop();
      }
    });

    it('a certificate for another principal does not log in as the sshd user', async () => {
      let sshd: SshdServer | undefined;
      try {
        sshd = await startSshd({ trustedUserCaKeys: [caLine] });
        const knownHosts = path.join(dir, 'known_hosts2');
        fs.writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
        const key = await userKey('ed25519', 'other');
        const cert = await signTo(key.file, { public_key: key.pub, valid_principals: 'deploy' });
        const r = await run('ssh', [
          '-F',
          '/dev/null',
          '-i',
          key.file,
          '-o',
          `CertificateFile=${cert}`,
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          `UserKnownHostsFile=${knownHosts}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          '-p',
          String(sshd.port),
          `${sshd.user}@127.0.0.1`,
          'true',
        ]);
        expect(r.code).not.toBe(0);
      } finally {
        await sshd?.stop();
      }
    });

    it('refuses bad requests with 400', async () => {
      const key = await userKey('ed25519', 'bad');
      const cases: Array<[string, Record<string, unknown>]> = [
        ['principal not allowed', { public_key: key.pub, valid_principals: 'root-not-allowed' }],
        ['ttl over max', { public_key: key.pub, ttl: '2h' }],
        ['bad key', { public_key: 'ssh-ed25519 not-base64!' }],
        ['missing key', {}],
        ['host cert not allowed', { public_key: key.pub, cert_type: 'host', valid_principals: 'h.example' }],
        ['extension not allowed', { public_key: key.pub, extensions: { 'permit-X11-forwarding': '' } }],
      ];
      for (const [why, body] of cases) {
        const r = await v.post('ssh-client-signer/sign/dev', body);
        expect(r.status, why).toBe(400);
      }
      expect((await v.post('ssh-client-signer/sign/nope', { public_key: key.pub })).status).toBe(400);
    });
  });
}
