// The session's handshake clock (broker/connector-kit) with MySQL's errors: each phase names the ERR a
// timeout there carries; turning the connection off aborts it.
import { createPhaseDeadline, type PhaseDeadline } from '../connector-kit';
import { PhaseTimeoutError, SessionAbortedError, type ErrorKind, MysqlError } from './errors';

/** `phase(description, kind)`: what the session waits for, and the ERR a timeout reports. */
export type Deadline = PhaseDeadline<ErrorKind>;

export function createDeadline(ms: number, parent: AbortSignal): Deadline {
  return createPhaseDeadline<ErrorKind>(ms, parent, {
    initial: MysqlError.backendUnreachable,
    timedOut: (kind, phase, limit) => new PhaseTimeoutError(kind, phase, limit),
    aborted: () => new SessionAbortedError(),
  });
}
