export { createLeaseRegistry, LeaseActionError } from './registry';
export type { LeaseRegistryOptions } from './registry';
export { trackSessionToken, tokenEntryId } from './session-link';
export type { TrackableSession } from './session-link';
export type {
  LeaseRegistry,
  LeaseRecord,
  LeaseKind,
  LeaseState,
  LeaseOrigin,
  LeaseChange,
  LeaseActions,
  LeasePatch,
  NewLease,
  TrackOptions,
  EndState,
} from './types';
