// What every link does with what crossed the process boundary: a result becomes the command's
// value (checked against the contract) or an ApiError; an event is delivered only when its
// name and payload match the contract. The renderer trusts nothing that crossed a wire.
import {
  ApiError,
  commands,
  events,
  type AppEvent,
  type CallOutcome,
  type CommandName,
  type CommandOutput,
  type EventName,
} from '../../../app/api';
import { asApiError } from '../lib/errors';

/** The value of an outcome, or the ApiError it carries; anything malformed is an internal error. */
export function valueOf<C extends CommandName>(command: C, outcome: unknown): CommandOutput<C> {
  const answer = outcome as Partial<{ ok: unknown; value: unknown; error: unknown }> | null;
  if (!answer || typeof answer !== 'object' || typeof answer.ok !== 'boolean') {
    throw new ApiError('internal', `Sesame sent an unexpected answer to '${command}'.`);
  }
  if (answer.ok !== true) throw asApiError(answer.error);
  const checked = commands[command].output.safeParse(answer.value);
  if (!checked.success) throw new ApiError('internal', `Sesame sent an unexpected answer to '${command}'.`);
  return checked.data as CommandOutput<C>;
}

/** The event a bridge message carries, or undefined when it names no known event or breaks its schema. */
export function eventOf(message: unknown): AppEvent | undefined {
  const wire = message as Partial<{ type: unknown; event: unknown; payload: unknown }> | null;
  if (!wire || typeof wire !== 'object' || wire.type !== 'event' || typeof wire.event !== 'string') return undefined;
  if (!Object.hasOwn(events, wire.event)) return undefined;
  const name = wire.event as EventName;
  const checked = events[name].safeParse(wire.payload);
  return checked.success ? ({ event: name, payload: checked.data } as AppEvent) : undefined;
}

export type { CallOutcome };
