export { createConnectionSupervisor, UnknownConnectionError } from './supervisor';
export type {
  ConnectionSupervisor,
  ConnectionSpec,
  ConnectionStatus,
  ConnectionState,
  ConnectionEvent,
  WaitingClient,
} from './supervisor';
