// auth/<mount>/config of the OIDC auth method: validated like vault-plugin-auth-jwt's
// pathConfigWrite (the whole config is replaced on every write) and read back without the secret.
import { badRequest } from '../errors';
import { str, strList } from '../fields';
import { ignoredFieldsWarning } from './oidc-fields';
import { discoverIdp, type IdpConnection } from './oidc-idp';

export interface OidcConfig {
  discoveryUrl: string;
  discoveryCaPem: string;
  clientId: string;
  clientSecret: string;
  responseMode: string;
  responseTypes: string[];
  defaultRole: string;
  supportedAlgs: string[];
}

const CONFIG_FIELDS = [
  'oidc_discovery_url',
  'oidc_discovery_ca_pem',
  'oidc_client_id',
  'oidc_client_secret',
  'oidc_response_mode',
  'oidc_response_types',
  'default_role',
  'jwt_supported_algs',
  'jwks_url',
  'jwks_ca_pem',
  'jwks_pairs',
  'jwt_validation_pubkeys',
  'bound_issuer',
] as const;

const SIGNING_ALGS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
]);

/** Like `str`, but a value of the wrong type is not echoed in the error (it is a secret). */
function secretString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  throw badRequest(`error converting input for field "${field}": expected type 'string'`);
}

/** Vault's authType(): only a config with a client id runs the browser flow. */
export const isOidcFlow = (c: OidcConfig) => c.discoveryUrl !== '' && c.clientId !== '';

export interface ParsedConfig {
  config: OidcConfig;
  /** The IdP as discovered while validating the write. */
  idp: IdpConnection;
  warnings: string[];
}

/** Validates a config write; throws Vault's 400s. Discovery is checked against the live IdP. */
export async function parseConfig(body: Record<string, unknown>): Promise<ParsedConfig> {
  const config: OidcConfig = {
    discoveryUrl: str(body, 'oidc_discovery_url'),
    discoveryCaPem: str(body, 'oidc_discovery_ca_pem'),
    clientId: str(body, 'oidc_client_id'),
    clientSecret: secretString(body, 'oidc_client_secret'),
    responseMode: str(body, 'oidc_response_mode'),
    responseTypes: strList(body, 'oidc_response_types'),
    defaultRole: str(body, 'default_role').toLowerCase(),
    supportedAlgs: strList(body, 'jwt_supported_algs'),
  };
  const otherSources = ['jwks_url', 'jwks_pairs', 'jwt_validation_pubkeys'].filter((f) => {
    const v = body[f];
    return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
  });
  const sourceCount = otherSources.length + (config.discoveryUrl !== '' ? 1 : 0);
  if (sourceCount !== 1) {
    throw badRequest(
      "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set",
    );
  }
  if ((config.clientId === '') !== (config.clientSecret === '')) {
    throw badRequest("both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC");
  }
  if (config.discoveryUrl === '') {
    if (config.clientId !== '') throw badRequest("'oidc_discovery_url' must be set for OIDC");
    throw badRequest(
      `the oidc auth method of this dev server validates tokens only through 'oidc_discovery_url'; ` +
        `mount the jwt auth method to use '${otherSources[0]}'`,
    );
  }
  for (const alg of config.supportedAlgs) {
    if (!SIGNING_ALGS.has(alg)) throw badRequest(`invalid jwt_supported_algs: unsupported signing algorithm "${alg}"`);
  }
  if (!config.responseTypes.every((t) => t === 'code' || t === 'id_token')) {
    throw badRequest(`invalid response_types [${config.responseTypes.join(' ')}]. 'code' and 'id_token' are allowed`);
  }
  if (config.responseTypes.includes('id_token')) {
    throw badRequest("the 'id_token' response type (implicit flow) is not supported by this dev server; use 'code'");
  }
  if (config.responseMode === 'form_post') {
    throw badRequest("the 'form_post' response mode is not supported by this dev server; use 'query'");
  }
  if (config.responseMode !== '' && config.responseMode !== 'query') {
    throw badRequest(`invalid response_mode: ${JSON.stringify(config.responseMode)}`);
  }

  let idp: IdpConnection;
  try {
    idp = await discoverIdp(config.discoveryUrl, config.discoveryCaPem || undefined);
  } catch (err) {
    // Vault answers only the first half; the reason (no secrets in it) saves a trip to the logs.
    throw badRequest(`error checking oidc discovery URL: ${(err as Error).message}`);
  }
  return { config, idp, warnings: ignoredFieldsWarning(body, CONFIG_FIELDS) };
}

/** GET config: Vault's keys, the client secret omitted. */
export function configResponse(c: OidcConfig): Record<string, unknown> {
  return {
    oidc_discovery_url: c.discoveryUrl,
    oidc_discovery_ca_pem: c.discoveryCaPem,
    oidc_client_id: c.clientId,
    oidc_response_mode: c.responseMode,
    oidc_response_types: c.responseTypes,
    default_role: c.defaultRole,
    jwt_supported_algs: c.supportedAlgs,
    jwt_validation_pubkeys: [],
    jwks_url: '',
    jwks_ca_pem: '',
    jwks_pairs: [],
    bound_issuer: '',
    provider_config: {},
  };
}
