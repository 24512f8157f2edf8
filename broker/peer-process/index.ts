export { createPeerProcessFinder, describePeer, findPeerProcess } from './finder';
export type { PeerProcess, PeerProcessFinder, PeerProcessFinderOptions } from './finder';
