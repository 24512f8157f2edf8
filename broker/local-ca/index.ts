// The local CA of the brokers' client-facing TLS: key pairs and X.509 certificates made with
// Node's crypto and a minimal DER encoder (der.ts). The app keeps the CA in its SecretStore and
// hands the brokers the server certificate it issues (app/host/local-tls.ts).
export {
  createLocalCa,
  issueLocalServerCertificate,
  issueServerCertificate,
  isUsableCa,
  LOCAL_NAMES,
  type KeyAndCertificate,
} from './certificates';
