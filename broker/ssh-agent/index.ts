// ssh-agent connector: an SSH_AUTH_SOCK agent whose identities are Vault-signed certificates and
// Vault KV keys held in memory, re-signed before they expire; keys never leave it.
export {
  createSshAgentConnector,
  startSshAgent,
  type AgentApproval,
  type SshAgentConnector,
  type SshAgentOptions,
  type RunningSshAgent,
} from './agent';
export type { AgentIdentitySource, AgentIdentityView } from './identities';
export { findPeer, sshDestination, UNKNOWN_PEER, type AgentPeer } from './peer';
