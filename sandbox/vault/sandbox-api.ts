// Test controls outside /v1/, under /_sandbox/, authenticated by the root token:
//   GET    /_sandbox/faults            → {faults: [...]}
//   POST   /_sandbox/faults            {path_prefix?, methods?, latency_ms?, status?, errors?, drop?, count?} → the rule
//   DELETE /_sandbox/faults[/:id]      → 204
//   POST   /_sandbox/seal | /_sandbox/unseal → 204
//   POST   /_sandbox/standby           {standby: bool} → 204 (sys/health then answers 429)
import { timingSafeEqual } from 'node:crypto';
import type { HttpInput, HttpOutput } from './core';
import { json, tokenFromHeaders } from './core';
import { badRequest, VaultError } from './errors';
import { faultFromBody, type Faults } from './faults';
import { bool } from './fields';
import type { VaultState } from './state';

function parseJson(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('failed to parse JSON input');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('body must be a JSON object');
  return value as Record<string, unknown>;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function handleSandbox(state: VaultState, faults: Faults, rootToken: string, input: HttpInput): HttpOutput {
  if (!sameSecret(tokenFromHeaders(input.headers), rootToken)) throw new VaultError(403, ['permission denied']);
  const path = input.path.replace(/\/+$/, '');
  const m = input.method;
  if (path === 'faults') {
    if (m === 'GET') return json(200, { faults: faults.list() });
    if (m === 'POST' || m === 'PUT') return json(200, faults.add(faultFromBody(parseJson(input.rawBody))));
    if (m === 'DELETE') {
      faults.clear();
      return { status: 204 };
    }
  }
  if (path.startsWith('faults/') && m === 'DELETE') {
    if (!faults.remove(path.slice('faults/'.length))) throw new VaultError(404, []);
    return { status: 204 };
  }
  if (m === 'POST' || m === 'PUT') {
    if (path === 'seal') {
      state.sealed = true;
      return { status: 204 };
    }
    if (path === 'unseal') {
      state.sealed = false;
      state.unsealProgress = 0;
      return { status: 204 };
    }
    if (path === 'standby') {
      state.standby = bool(parseJson(input.rawBody), 'standby', true);
      return { status: 204 };
    }
  }
  throw new VaultError(404, [`no sandbox control at /_sandbox/${path}`]);
}
