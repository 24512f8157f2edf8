// Why a credential could not be had. Messages name the source (a Vault path) and the missing
// piece, never a value, so connectors can show them to the client as they are. The class is
// the one every connector answers clients with (broker/connector-kit/errors.ts): a source
// throws it without a protocol code, and a connector wraps it with its own.
export { CredentialError, type CredentialErrorKind } from '../connector-kit/errors';
