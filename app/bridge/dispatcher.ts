// The one piece of call-dispatch logic every transport shares (the browser WebSocket bridge
// and the Electron IPC handlers in main/): read the bridge message, validate the command and its
// input at the edge, run it, check the result against the contract (so only the view-model
// fields the contract names ever leave the host), and turn every failure into a typed error.
// Nothing here throws or rejects: a bad caller gets an answer, never a crashed host.
import {
  ApiError,
  ApiErrorCode,
  CallMessage,
  commands,
  events,
  isCommandName,
  parseCommandInput,
  type AppApi,
  type AppEvent,
  type CallOutcome,
  type CommandInput,
  type CommandName,
  type EventMessage,
  type ResultMessage,
} from '../api';
import { silentLogger, type Logger } from '../../broker/log';

export type { CallOutcome, EventMessage, ResultMessage };

/** The id answered when a message is so malformed that its own id cannot be read. */
export const UNREADABLE_CALL_ID = -1;

export interface ApiDispatcher {
  /** Run one command for an untrusted caller (Electron IPC: `ipcMain.handle`). Never rejects. */
  call(command: unknown, input: unknown): Promise<CallOutcome>;
  /** Answer one decoded bridge message (`CallMessage`) with its `result` message. Never rejects. */
  handleMessage(message: unknown): Promise<ResultMessage>;
  /** Forward every host event, checked against its schema, as a wire `event` message. */
  subscribe(send: (message: EventMessage) => void): () => void;
}

export interface ApiDispatcherOptions {
  log?: Logger;
}

export function createApiDispatcher(api: AppApi, options: ApiDispatcherOptions = {}): ApiDispatcher {
  const log = options.log ?? silentLogger;

  async function call(command: unknown, input: unknown): Promise<CallOutcome> {
    if (typeof command !== 'string') {
      return failure(new ApiError('invalid-input', 'The command name must be a string.', 'command'));
    }
    if (!isCommandName(command)) {
      return failure(new ApiError('unknown-command', `Unknown command '${command.slice(0, 64)}'.`, 'command'));
    }
    let parsed: CommandInput<CommandName>;
    try {
      parsed = parseCommandInput(command, input);
    } catch (error) {
      return failure(toApiError(error, command, log));
    }
    let value: unknown;
    try {
      value = await api.call(command, parsed as never);
    } catch (error) {
      return failure(toApiError(error, command, log));
    }
    // Parsing the result strips any field the contract does not name: a host bug cannot
    // leak an extra (possibly secret) field to the renderer.
    const checked = commands[command].output.safeParse(value);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      log.error('host returned a result that breaks the contract', {
        command,
        field: issue?.path.join('.'),
        problem: issue?.message,
      });
      return failure(new ApiError('internal', `Sesame returned an unexpected answer to '${command}'.`));
    }
    return { ok: true, value: checked.data };
  }

  async function handleMessage(message: unknown): Promise<ResultMessage> {
    const wire = CallMessage.safeParse(message);
    if (!wire.success) {
      const issue = wire.error.issues[0];
      const field = issue?.path.join('.') || undefined;
      const error = new ApiError(
        'invalid-input',
        `Not a valid call message: ${field ? `${field}: ` : ''}${issue?.message ?? 'malformed'}.`,
        field,
      );
      return { type: 'result', id: readableId(message), ok: false, error: error.toJSON() };
    }
    const outcome = await call(wire.data.command, wire.data.input);
    return outcome.ok
      ? { type: 'result', id: wire.data.id, ok: true, value: outcome.value }
      : { type: 'result', id: wire.data.id, ok: false, error: outcome.error };
  }

  function subscribe(send: (message: EventMessage) => void): () => void {
    return api.subscribe((event: AppEvent) => {
      const schema = events[event.event];
      if (!schema) {
        log.warn('host emitted an event the contract does not name; dropped', { event: String(event.event) });
        return;
      }
      const checked = schema.safeParse(event.payload);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        log.error('host emitted an event that breaks the contract; dropped', {
          event: event.event,
          field: issue?.path.join('.'),
          problem: issue?.message,
        });
        return;
      }
      try {
        send({ type: 'event', event: event.event, payload: checked.data });
      } catch (error) {
        // One broken transport must not stop the host's other listeners.
        log.warn('could not forward an event', { event: event.event, error });
      }
    });
  }

  return { call, handleMessage, subscribe };
}

function failure(error: ApiError): CallOutcome {
  return { ok: false, error: error.toJSON() };
}

/** An ApiError from anything thrown; unexpected errors are logged and answered in general words. */
export function toApiError(error: unknown, command: string, log: Logger): ApiError {
  if (error instanceof ApiError) return error;
  if (isApiErrorLike(error)) return new ApiError(error.code, error.message, error.field);
  log.error('command failed unexpectedly', { command, error });
  return new ApiError(
    'internal',
    `Sesame hit an unexpected error while running '${command}'; the log has the details.`,
  );
}

/** An ApiError that crossed a module or realm boundary and lost its class. */
function isApiErrorLike(error: unknown): error is { code: ApiErrorCode; message: string; field?: string } {
  if (!error || typeof error !== 'object') return false;
  const candidate = error as { name?: unknown; code?: unknown; message?: unknown; field?: unknown };
  return (
    candidate.name === 'ApiError' &&
    ApiErrorCode.safeParse(candidate.code).success &&
    typeof candidate.message === 'string' &&
    (candidate.field === undefined || typeof candidate.field === 'string')
  );
}

/** The caller's id when the message carries a usable one, so its answer can be matched. */
export function readableId(message: unknown): number {
  if (message && typeof message === 'object' && 'id' in message) {
    const id = (message as { id: unknown }).id;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  }
  return UNREADABLE_CALL_ID;
}
