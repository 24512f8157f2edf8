// Signature keys for the jwt auth method: a JWKS URL (optionally behind a private CA, fetched
// again when a token names an unknown key id) or a list of PEM public keys.
import { createPublicKey, type KeyObject } from 'node:crypto';
import https from 'node:https';
import http from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyOptions } from 'jose';

export interface KeySource {
  verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload>;
}

function getText(url: string, caPem: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.get(u, { ...(caPem ? { ca: caPem } : {}), timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300)
          reject(new Error(`unexpected status ${res.statusCode} from ${u.origin}${u.pathname}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** Fetches and checks a JWKS document now, so a bad URL fails at config time as in Vault. */
export async function jwksSource(url: string, caPem: string | undefined): Promise<KeySource> {
  const load = async (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    const text = await getText(url, caPem);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new Error('the JWKS document is not JSON');
    }
    if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as JSONWebKeySet).keys))
      throw new Error('the JWKS document has no "keys" list');
    return createLocalJWKSet(doc as JSONWebKeySet);
  };
  let keys = await load();
  return {
    async verify(token, options) {
      try {
        return (await jwtVerify(token, keys, options)).payload;
      } catch (e) {
        // A key rotation at the IdP: fetch the set once more and retry.
        if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw e;
        keys = await load();
        return (await jwtVerify(token, keys, options)).payload;
      }
    },
  };
}

export function pemSource(pems: string[]): KeySource {
  const keys: KeyObject[] = pems.map((pem, i) => {
    try {
      return createPublicKey(pem);
    } catch {
      throw new Error(`error parsing public key ${i}: not a PEM public key`);
    }
  });
  return {
    async verify(token, options) {
      let last: unknown;
      for (const key of keys) {
        try {
          return (await jwtVerify(token, key, options)).payload;
        } catch (e) {
          last = e;
          const code = (e as { code?: string }).code;
          // Only a signature mismatch means "try the next key"; claim errors are final.
          if (
            code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' &&
            code !== 'ERR_JOSE_ALG_NOT_ALLOWED' &&
            code !== 'ERR_JOSE_NOT_SUPPORTED'
          )
            throw e;
        }
      }
      throw last ?? new Error('no keys configured');
    },
  };
}
