export { startListener, parseListenAddress, formatListenAddress, ListenError } from './listener';
export type { Listener, ListenAddress } from './listener';
