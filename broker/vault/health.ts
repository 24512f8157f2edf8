// Vault's health as a user would want it told: up (active or standby), sealed, not initialized,
// or unreachable — read from `sys/health`, which answers without a token. The status codes are
// asked to be 200 for every state so one request tells them apart by its body, not its status.
import { createVaultClient, type VaultClient } from './client';
import { networkWords, VaultError } from './errors';

export type VaultHealthStatus = 'ok' | 'standby' | 'sealed' | 'uninitialized' | 'unreachable' | 'error';

export interface VaultHealth {
  address: string;
  status: VaultHealthStatus;
  /** Vault's version, when it answered. */
  version?: string;
  clusterName?: string;
  /** Plain words: what the status means for the user. */
  message: string;
  /** ISO time of the check. */
  checkedAt: string;
}

const QUERY =
  'sys/health?standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200&drsecondarycode=200&performancestandbycode=200&standbycode=200';

interface HealthBody {
  initialized?: boolean;
  sealed?: boolean;
  standby?: boolean;
  performance_standby?: boolean;
  version?: string;
  cluster_name?: string;
}

/** One health check through `client` (no retries: the caller checks again on its own clock). */
export async function readVaultHealth(client: VaultClient): Promise<VaultHealth> {
  const base = { address: client.address, checkedAt: new Date().toISOString() };
  let body: HealthBody | null;
  try {
    body = (await client.request({ method: 'GET', path: QUERY, namespace: '', attempts: 1 })) as HealthBody | null;
  } catch (error) {
    if (error instanceof VaultError && error.kind === 'timeout')
      return { ...base, status: 'unreachable', message: `${error.message.replace(/ \(sys\/health\)$/, '')}.` };
    if (error instanceof VaultError && error.kind === 'unreachable') {
      return {
        ...base,
        status: 'unreachable',
        message: `Vault at ${client.address} cannot be reached: ${networkWords(error.code ?? 'network error')}.`,
      };
    }
    return {
      ...base,
      status: 'error',
      message: `${client.address} did not answer like Vault: ${(error as Error).message}`,
    };
  }
  if (!body || typeof body !== 'object' || typeof body.sealed !== 'boolean' || typeof body.initialized !== 'boolean') {
    return { ...base, status: 'error', message: `${client.address} answered, but not like Vault (no health fields).` };
  }
  const facts = {
    ...base,
    ...(typeof body.version === 'string' ? { version: body.version } : {}),
    ...(typeof body.cluster_name === 'string' && body.cluster_name ? { clusterName: body.cluster_name } : {}),
  };
  const version = facts.version ? `Vault ${facts.version}` : 'Vault';
  if (!body.initialized)
    return {
      ...facts,
      status: 'uninitialized',
      message: `${version} is not initialized yet: an operator must run vault operator init.`,
    };
  if (body.sealed)
    return {
      ...facts,
      status: 'sealed',
      message: `${version} is sealed: new credentials and renewals wait until an operator unseals it.`,
    };
  if (body.standby || body.performance_standby)
    return {
      ...facts,
      status: 'standby',
      message: `${version} (a standby node) is up; it forwards requests to the active node.`,
    };
  return { ...facts, status: 'ok', message: `${version} is up and unsealed.` };
}

/**
 * Check an address the user typed, before it is saved: a short timeout, no retries. A bad URL
 * or an unreadable CA file is told in the result rather than thrown, so a form can show it.
 */
export async function checkVaultAddress(
  address: string,
  options: { caCertFile?: string; timeoutMs?: number } = {},
): Promise<VaultHealth> {
  let client: VaultClient;
  try {
    client = createVaultClient({
      address,
      timeoutMs: options.timeoutMs ?? 3_000,
      attempts: 1,
      ...(options.caCertFile ? { caCertFile: options.caCertFile } : {}),
    });
  } catch (error) {
    return { address, status: 'error', message: (error as Error).message, checkedAt: new Date().toISOString() };
  }
  return readVaultHealth(client);
}
