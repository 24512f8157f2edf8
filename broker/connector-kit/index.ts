// Pieces every protocol connector shares: the handshake deadline, a buffered socket reader for
// any framing, the session's socket lifetimes, and credential fetch/release.
export { createPhaseDeadline, type PhaseDeadline, type DeadlineErrors } from './deadline';
export { createBufferedReader, type BufferedReader, type BufferedReaderOptions, type Framing, type Peer, type ReaderErrors } from './socket-reader';
export { CLOSE_GRACE_MS, closeGracefully, untilBothClosed } from './sockets';
export { connectForRelay, relayChunks } from './relay';
export { fetchCredential, releaseCredential, describeError, type CredentialErrors } from './credentials';
export { connectTcp, awaitTlsHandshake, type BackendFailure, type TlsHandshake } from './backend-socket';
export { resolveTlsTarget, backendTargetFields, timeoutsSchema, maxSessionsSchema, type TlsTargetFields } from './target';
