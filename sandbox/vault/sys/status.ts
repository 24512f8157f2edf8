// sys/health, sys/seal-status, sys/seal, sys/unseal, sys/leader, sys/init: the endpoints that
// answer raw JSON (no envelope) and mostly work while sealed.
import { timingSafeEqual } from 'node:crypto';
import type { BackendRequest, BackendResponse } from '../backend';
import { badRequest, unsupportedOperation } from '../errors';
import { bool, str } from '../fields';
import type { VaultState } from '../state';

const raw = (status: number, value: unknown): BackendResponse => ({
  raw: { status, contentType: 'application/json', body: JSON.stringify(value) },
});

function codeParam(req: BackendRequest, name: string, fallback: number): number {
  const v = req.query.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 999)
    throw badRequest(`unable to parse ${name}: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  return n;
}

export function health(state: VaultState, req: BackendRequest): BackendResponse {
  if (req.operation !== 'read') throw unsupportedOperation();
  const standbyOk = req.query.get('standbyok') === 'true';
  const body: Record<string, unknown> = {
    initialized: true,
    sealed: state.sealed,
    standby: state.sealed || state.standby,
    performance_standby: false,
    replication_performance_mode: state.sealed ? 'unknown' : 'disabled',
    replication_dr_mode: state.sealed ? 'unknown' : 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: state.version,
    enterprise: false,
    ...(state.sealed ? {} : { cluster_name: state.clusterName, cluster_id: state.clusterId }),
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
  };
  let status = codeParam(req, 'activecode', 200);
  if (state.sealed) status = codeParam(req, 'sealedcode', 503);
  else if (state.standby) status = standbyOk ? codeParam(req, 'activecode', 200) : codeParam(req, 'standbycode', 429);
  return raw(status, body);
}

export function sealStatusBody(state: VaultState): Record<string, unknown> {
  return {
    type: 'shamir',
    initialized: true,
    sealed: state.sealed,
    t: 1,
    n: 1,
    progress: state.unsealProgress,
    nonce: '',
    version: state.version,
    build_date: '2024-06-10T10:11:34Z',
    migration: false,
    ...(state.sealed ? {} : { cluster_name: state.clusterName, cluster_id: state.clusterId }),
    recovery_seal: false,
    storage_type: 'inmem',
  };
}

export function sealStatus(state: VaultState, req: BackendRequest): BackendResponse {
  if (req.operation !== 'read') throw unsupportedOperation();
  return raw(200, sealStatusBody(state));
}

export function seal(state: VaultState, req: BackendRequest): BackendResponse | undefined {
  if (req.operation !== 'update' && req.operation !== 'create') throw unsupportedOperation();
  state.sealed = true;
  state.unsealProgress = 0;
  return undefined;
}

function decodeKey(key: string): Buffer {
  if (/^[0-9a-fA-F]+$/.test(key) && key.length % 2 === 0) return Buffer.from(key, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return Buffer.from(key, 'base64');
  throw badRequest("'key' must be a valid hex or base64 string");
}

export function unseal(state: VaultState, req: BackendRequest): BackendResponse {
  if (req.operation !== 'update' && req.operation !== 'create') throw unsupportedOperation();
  const reset = bool(req.body, 'reset');
  const key = str(req.body, 'key');
  if (reset) {
    state.unsealProgress = 0;
    return raw(200, sealStatusBody(state));
  }
  if (key === '') throw badRequest("'key' must be specified in request body as JSON, or 'reset' set to true");
  const given = decodeKey(key);
  const expected = Buffer.from(state.unsealKey, 'base64');
  if (state.sealed) {
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw badRequest('Unseal failed, invalid key');
    state.sealed = false;
    state.unsealProgress = 0;
  }
  return raw(200, sealStatusBody(state));
}

export function leader(): BackendResponse {
  return raw(200, {
    ha_enabled: false,
    is_self: false,
    active_time: '0001-01-01T00:00:00Z',
    leader_address: '',
    leader_cluster_address: '',
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
    raft_committed_index: 0,
    raft_applied_index: 0,
  });
}

export function init(req: BackendRequest): BackendResponse {
  if (req.operation === 'read') return raw(200, { initialized: true });
  throw badRequest('Vault is already initialized');
}
