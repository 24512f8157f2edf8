// Pieces every protocol connector shares: the client-connection runner and the lifecycle parts
// it is made of (abort, client count, credential fetch/retry/release, handshake deadline), the
// one error hierarchy, a buffered socket reader for any framing, socket lifetimes, the relay.
export {
  createClientRunner,
  clientMessage,
  type ClientProtocol,
  type ClientConnection,
  type ClientSteps,
  type LoggedIn,
  type ClientRunner,
} from './runner';
export * from './errors';
export { createClientCount, watchAbort, type ClientCount } from './lifecycle';
export {
  holdCredentials,
  loginWithCredential,
  releaseCredential,
  type HeldCredentials,
  type PendingCredential,
  type CredentialLogin,
} from './credentials';
export { createPhaseDeadline, type PhaseDeadline } from './deadline';
export {
  createBufferedReader,
  type BufferedReader,
  type BufferedReaderOptions,
  type Framing,
  type Peer,
} from './socket-reader';
export { CLOSE_GRACE_MS, closeGracefully, untilBothClosed } from './sockets';
export { connectForRelay, relayChunks } from './relay';
export { connectTcp, awaitTlsHandshake, type TlsHandshake } from './backend-socket';
export {
  resolveTlsTarget,
  backendTargetFields,
  timeoutsSchema,
  maxSessionsSchema,
  isLoopbackHost,
  withDefaultSslmode,
  defaultedSslmodeNote,
  type TlsTargetFields,
  type SslmodeDefaults,
  type SslmodeOrigin,
} from './target';
export {
  INSECURE_PASSWORD_SETTING,
  checkPasswordChannel,
  verifiesServer,
  type BackendChannel,
  type PasswordRequest,
} from './password-channel';
export { acceptClientTls, localTlsContext, type ClientTlsOptions, type LocalTlsIdentity } from './client-tls';
