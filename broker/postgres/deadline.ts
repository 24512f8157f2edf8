// The session's handshake clock (broker/connector-kit) with PostgreSQL's errors: each phase names the
// SQLSTATE a timeout there carries; turning the connection off aborts it.
import { createPhaseDeadline, type PhaseDeadline } from '../connector-kit';
import { PhaseTimeoutError, SessionAbortedError, SqlState } from './errors';

/** `phase(description, sqlstate)`: what the session waits for, and the SQLSTATE of a timeout. */
export type Deadline = PhaseDeadline<string>;

export function createDeadline(ms: number, parent: AbortSignal): Deadline {
  return createPhaseDeadline<string>(ms, parent, {
    initial: SqlState.connectionFailure,
    timedOut: (sqlstate, phase, limit) => new PhaseTimeoutError(sqlstate, phase, limit),
    aborted: () => new SessionAbortedError(),
  });
}
