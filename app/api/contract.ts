// The AppApi: every command the UI may send and every event the host emits, with runtime
// schemas. Both bridges (Electron IPC and the browser WebSocket) validate against these at
// the edge, so the host only ever sees well-formed input.
import { z } from 'zod';
import {
  ActivityEvent,
  AppInfo,
  AppReset,
  ConnectionRemoved,
  ConnectionView,
  KnownGui,
  LaunchResult,
  ReloadResult,
  SessionView,
  VaultHealthView,
} from './views';
import { LeaseIdInput, LeaseRemoved, LeasesCleared, LeaseView } from './leases';
import { KeyAnswerInput, KeyApprovalRequest } from './key-approvals';
import {
  ConfigFileStatus,
  SettingsUpdateInput,
  SettingsUpdateResult,
  SettingsView,
  VaultSettingsInput,
} from './settings';
import {
  TerminalExit,
  TerminalId,
  TerminalInputInput,
  TerminalOpenInput,
  TerminalOutput,
  TerminalResizeInput,
} from './terminal';

const name = z.string().min(1).max(128);
const secretInput = z.string().min(1).max(16_384);

export const LoginInput = z.discriminatedUnion('method', [
  z.object({ method: z.literal('token'), token: secretInput }),
  z.object({ method: z.literal('userpass'), username: name, password: secretInput, mount: name.optional() }),
  z.object({ method: z.literal('approle'), roleId: secretInput, secretId: secretInput, mount: name.optional() }),
  z.object({ method: z.literal('jwt'), role: name, jwt: secretInput, mount: name.optional() }),
  z.object({ method: z.literal('oidc'), role: name.optional(), mount: name.optional() }),
]);
export type LoginInput = z.infer<typeof LoginInput>;

const none = z.object({}).strict();

const listenHint = 'expected HOST:PORT (e.g. 127.0.0.1:15432) or unix:/absolute/path';
/** A local listen address, checked for form here; the host checks loopback, port and conflicts. */
export const ListenAddressInput = z
  .string()
  .min(1)
  .max(300)
  .regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s[\]]+):\d{1,5}$|^unix:\/[^\0]+$/, { message: listenHint });

/** Commands: name → input schema and output schema. */
export const commands = {
  'app.info': { input: none, output: AppInfo },
  'session.get': { input: none, output: SessionView },
  'session.login': { input: LoginInput, output: SessionView },
  'session.logout': { input: none, output: SessionView },
  'connections.list': { input: none, output: z.array(ConnectionView) },
  'connections.setEnabled': {
    input: z.object({ name, enabled: z.boolean() }).strict(),
    output: ConnectionView,
  },
  'activity.list': { input: none, output: z.array(ActivityEvent) },
  /** Move a connection to another local address; kept in the config file (restarts it if on). */
  'connections.setListen': {
    input: z.object({ name, listen: ListenAddressInput }).strict(),
    output: ConnectionView,
  },
  /** "Open in …": the configured GUI (or `gui`, a known one), else the URL handed to the OS. */
  'connections.openGui': {
    input: z.object({ name, gui: KnownGui.optional() }).strict(),
    output: LaunchResult,
  },
  /** ssh (or psql / mysql) to the local address in the user's terminal. */
  'connections.openTerminal': { input: z.object({ name }).strict(), output: LaunchResult },
  /** Read the config file again and apply it; unchanged connections keep their sessions. */
  'config.reload': { input: none, output: ReloadResult },
  /** Renew the session token now (the agent also renews it by itself). */
  'session.renew': { input: none, output: SessionView },
  /** The lease registry: tokens, leases and cached KV secrets, live entries first. */
  'leases.list': { input: none, output: z.array(LeaseView) },
  /** Extend a renewable token or lease at Vault; answers with the entry as it is now. */
  'leases.renew': { input: LeaseIdInput, output: LeaseView },
  /** Revoke at Vault (a dynamic user is dropped, a token dies with its children). */
  'leases.revoke': { input: LeaseIdInput, output: LeaseView },
  /** Forget locally (drop the cache entry); nothing is revoked at Vault. */
  'leases.evict': { input: LeaseIdInput, output: LeaseView },
  /** Evict every cached entry (leases, KV secrets, child tokens); the session token stays. */
  'leases.clear': { input: none, output: LeasesCleared },
  /** The non-secret settings: config file, Vault address and auth, agent listener, token sink. */
  'settings.get': { input: none, output: SettingsView },
  /** Change one or more settings in the config file; vault/agent changes restart the host. */
  'settings.update': { input: SettingsUpdateInput, output: SettingsUpdateResult },
  /** Vault's health as the host's watcher last saw it. */
  'vault.health': { input: none, output: VaultHealthView },
  /** Check an address before it is saved (the first-run and settings forms, live). */
  'vault.check': { input: VaultSettingsInput.pick({ address: true, caCert: true }), output: VaultHealthView },
  /** An in-app terminal: an ssh shell through the connection's local endpoint, bytes relayed as events. */
  'terminal.open': { input: TerminalOpenInput, output: z.object({ id: TerminalId }) },
  /** Keystrokes (or pasted text) for the terminal's shell. */
  'terminal.input': { input: TerminalInputInput, output: none },
  /** The terminal's new size in character cells. */
  'terminal.resize': { input: TerminalResizeInput, output: none },
  /** End the shell and its SSH session; closing one already gone is not an error. */
  'terminal.close': { input: z.object({ id: TerminalId }).strict(), output: none },
  /** The open "may this process use the key?" questions (ssh-agent connections with key.confirm). */
  'keys.requests': { input: none, output: z.array(KeyApprovalRequest) },
  /** Answer one; an answered or timed-out question is not-found (it was denied, or answered elsewhere). */
  'keys.answer': { input: KeyAnswerInput, output: none },
} as const;

/** Events: name → payload schema. The UI mirrors host state from these; it never polls. */
export const events = {
  'session.changed': SessionView,
  'connection.changed': ConnectionView,
  activity: ActivityEvent,
  /** A reload removed this connection; mirrors drop it. */
  'connection.removed': ConnectionRemoved,
  /** A registry entry was added or changed (renewed, hit, ended). */
  'lease.changed': LeaseView,
  /** An entry left the registry (an ended one after its retention); mirrors drop it. */
  'lease.removed': LeaseRemoved,
  /** Text the terminal's shell wrote (UTF-8 decoded, in order). */
  'terminal.output': TerminalOutput,
  /** The terminal's shell ended: exit code or signal, or why the session failed. */
  'terminal.exit': TerminalExit,
  /** Vault's health changed (sealed, unreachable, back up). */
  'vault.health': VaultHealthView,
  /** The config file became invalid, or valid again (a hand edit applied, or fixed). */
  'config.file': ConfigFileStatus,
  /** The open key-use questions changed (one asked, answered or timed out): all of them. */
  'keys.requests': z.array(KeyApprovalRequest),
  /** The host started again; everything the UI mirrors must be read again. */
  'app.reset': AppReset,
} as const;

export type CommandName = keyof typeof commands;
export type CommandInput<C extends CommandName> = z.input<(typeof commands)[C]['input']>;
export type CommandOutput<C extends CommandName> = z.infer<(typeof commands)[C]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;
export type AppEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

/** Error codes a command can fail with; `message` is plain words for the user. */
export const ApiErrorCode = z.enum([
  'invalid-input',
  'unknown-command',
  'not-found',
  'conflict',
  'unauthenticated',
  'vault-unreachable',
  'vault-sealed',
  'permission-denied',
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export const ApiErrorShape = z.object({ code: ApiErrorCode, message: z.string(), field: z.string().optional() });
export type ApiErrorShape = z.infer<typeof ApiErrorShape>;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toJSON(): ApiErrorShape {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) };
  }
}

/** The face both bridges give the renderer, and that the host implements. */
export interface AppApi {
  call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>>;
  /** Subscribe to every event; returns the unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** The messages both bridges carry (WebSocket frames, Electron IPC). */
export const CallMessage = z.object({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  command: z.string().max(64),
  input: z.unknown(),
});
export type CallMessage = z.infer<typeof CallMessage>;
/**
 * Browser mode only: the first message on the WebSocket proves who is calling — the one-time
 * token from the printed link's #fragment, or the session secret it was exchanged for (kept in
 * the tab's sessionStorage). The bridge answers `welcome` with the session secret to keep, or
 * closes the socket with BRIDGE_DENIED and the reason.
 */
export const HelloMessage = z
  .object({ type: z.literal('hello'), token: z.string().max(200).optional(), session: z.string().max(200).optional() })
  .strict();
export type HelloMessage = z.infer<typeof HelloMessage>;
export type WelcomeMessage = { type: 'welcome'; session: string };
/** The close code of a socket the bridge refused to sign in (application range, 4000–4999). */
export const BRIDGE_DENIED = 4401;
/** Why (the close reason): an unknown or used link, an expired link, a session the bridge does not know (it restarted), no hello, a malformed hello. */
export const BRIDGE_DENIALS = ['link-unknown', 'link-expired', 'session-unknown', 'no-hello', 'bad-hello'] as const;
export type BridgeDenial = (typeof BRIDGE_DENIALS)[number];
export type BridgeMessage =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: ApiErrorShape }
  | { type: 'event'; event: EventName; payload: unknown };

/** Validate a command's input at a bridge edge, naming the field at fault. */
export function parseCommandInput<C extends CommandName>(
  command: C,
  input: unknown,
): z.infer<(typeof commands)[C]['input']> {
  const spec = commands[command];
  if (!spec) throw new ApiError('unknown-command', `Unknown command '${String(command)}'.`);
  const result = spec.input.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    throw new ApiError(
      'invalid-input',
      `${command}: ${field ? `${field}: ` : ''}${issue?.message ?? 'invalid input'}`,
      field,
    );
  }
  return result.data as z.infer<(typeof commands)[C]['input']>;
}

export function isCommandName(value: string): value is CommandName {
  return Object.prototype.hasOwnProperty.call(commands, value);
}
