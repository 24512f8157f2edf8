export { createBrowserBridge, API_PATH, MAX_CALL_BYTES, MAX_FRAME_BYTES } from './browser-bridge';
export type { BrowserBridge, BrowserBridgeOptions } from './browser-bridge';
export { createApiDispatcher, toApiError, UNREADABLE_CALL_ID } from './dispatcher';
export { createClientScope, type ClientScope } from './client-scope';
export type { ApiDispatcher, ApiDispatcherOptions, CallOutcome, EventMessage, ResultMessage } from './dispatcher';
