// Which capability flags each leg gets. The broker authenticates on both legs itself, so the
// auth-phase flags are its own; the flags that shape the command phase are the backend's,
// narrowed by the client, so both ends of the pipe agree on the bytes that flow between them.
import { BackendUnreachableError } from '../connector-kit';
import { MYSQL_CODES } from './errors';
import { Cap, has, without, type HandshakeResponse, type ServerGreeting } from './protocol';

/** Flags the broker handles itself on each leg. */
const AUTH_PHASE =
  Cap.PROTOCOL_41 |
  Cap.SECURE_CONNECTION |
  Cap.PLUGIN_AUTH |
  Cap.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Cap.CONNECT_WITH_DB |
  Cap.CONNECT_ATTRS;

/**
 * Flags never offered or forwarded: TLS (the local leg's is the broker's own, offered only with a
 * local TLS identity; the backend's is the broker's too),
 * compression (it would hide command boundaries from the COM_CHANGE_USER watch), multi-factor
 * auth, client-only options, and expired-password sandbox mode (a connection the user cannot fix,
 * since they never hold the password: better a clear login error).
 */
const NEVER =
  Cap.SSL |
  Cap.COMPRESS |
  Cap.ZSTD_COMPRESSION |
  Cap.SSL_VERIFY_SERVER_CERT |
  Cap.REMEMBER_OPTIONS |
  Cap.CAN_HANDLE_EXPIRED_PASSWORDS |
  Cap.MULTI_FACTOR_AUTH |
  Cap.CAPABILITY_EXTENSION;

/** The capability flags of the broker's greeting to the client (CLIENT_SSL when it serves TLS). */
export function offeredToClient(backend: ServerGreeting, local: { tls: boolean } = { tls: false }): number {
  return (without(backend.capabilities, NEVER | AUTH_PHASE) | AUTH_PHASE | (local.tls ? Cap.SSL : 0)) >>> 0;
}

export interface BackendFlags {
  readonly capabilities: number;
  readonly mariadbCapabilities: number;
}

/**
 * The flags of the broker's HandshakeResponse to the backend: the command-phase flags the client
 * chose (within what was offered), plus the auth-phase flags this login needs.
 */
export function forwardedToBackend(
  client: Pick<HandshakeResponse, 'capabilities' | 'mariadbCapabilities'>,
  offered: number,
  offeredMariadb: number,
  backend: ServerGreeting,
  login: { readonly tls: boolean; readonly database: boolean; readonly attributes: boolean },
): BackendFlags {
  const commandPhase = without(client.capabilities & offered, NEVER | AUTH_PHASE);
  const clientMariadb = has(client.capabilities, Cap.LONG_PASSWORD)
    ? 0
    : (client.mariadbCapabilities & offeredMariadb) >>> 0;
  // After a rotation retry the backend greeting is a new one; it must still offer what the
  // client negotiated from the first (it always does, unless the server changed in between).
  const lost = without(commandPhase, Cap.LONG_PASSWORD) & ~backend.capabilities;
  const lostMariadb = clientMariadb & ~backend.mariadbCapabilities;
  if (lost !== 0 || lostMariadb !== 0) {
    const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
    throw new BackendUnreachableError(
      MYSQL_CODES,
      `the backend no longer offers capability flags the client negotiated (${hex(lost)}/${hex(lostMariadb)}); reconnect`,
    );
  }
  let capabilities = commandPhase | Cap.PROTOCOL_41 | Cap.SECURE_CONNECTION;
  capabilities |= backend.capabilities & (Cap.PLUGIN_AUTH | Cap.PLUGIN_AUTH_LENENC_CLIENT_DATA);
  if (login.database) capabilities |= Cap.CONNECT_WITH_DB;
  if (login.attributes && has(backend.capabilities, Cap.CONNECT_ATTRS)) capabilities |= Cap.CONNECT_ATTRS;
  if (login.tls) capabilities |= Cap.SSL;
  capabilities >>>= 0;
  return { capabilities, mariadbCapabilities: has(capabilities, Cap.LONG_PASSWORD) ? 0 : clientMariadb };
}
