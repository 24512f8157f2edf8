export { startOidcProvider } from './provider';
export type { OidcProvider, OidcProviderOptions } from './provider';
export { DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URIS, DEFAULT_USERNAME } from './directory';
export type { OidcClient, OidcUser } from './directory';
export { launchChromium, signInOnIdpPage, startCallbackListener, CHROMIUM_ARGS, CHROMIUM_PATH } from './browser';
export type { CallbackListener, CallbackOutcome } from './browser';
