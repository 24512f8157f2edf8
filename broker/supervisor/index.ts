export { createConnectionSupervisor, UnknownConnectionError } from './supervisor';
export type {
  ConnectionSupervisor,
  ConnectionSpec,
  ConnectionStatus,
  ConnectionState,
  ConnectionEvent,
  WaitingClient,
  SessionRecord,
  SupervisorOptions,
} from './supervisor';
