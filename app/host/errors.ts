// Any error a command throws, as the typed ApiError the contract promises.
import { InvalidLoginError, LoginFileError, OidcLoginError } from '../../broker/vault-session';
import { redact } from '../../broker/log';
import { UnknownConnectionError } from '../../broker/supervisor';
import { VaultError } from '../../broker/vault';
import { ApiError } from '../api';
import { ConfigError } from '../config';
import { LaunchError, TemplateError } from '../launchers';

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof InvalidLoginError) return new ApiError('invalid-input', error.message, error.field);
  if (error instanceof OidcLoginError || error instanceof LoginFileError)
    return new ApiError('unauthenticated', error.message);
  if (error instanceof UnknownConnectionError) return new ApiError('not-found', error.message);
  if (error instanceof ConfigError) return new ApiError('invalid-input', error.message);
  if (error instanceof LaunchError || error instanceof TemplateError)
    return new ApiError('invalid-input', error.message);
  if (error instanceof VaultError) {
    const code = (
      {
        unreachable: 'vault-unreachable',
        timeout: 'vault-unreachable',
        sealed: 'vault-sealed',
        'permission-denied': 'permission-denied',
      } as const
    )[error.kind as 'unreachable'];
    return new ApiError(code ?? 'invalid-input', error.message);
  }
  // Broker errors name paths, never values; a token-looking string is masked all the same.
  return new ApiError('internal', redact((error as Error)?.message ?? String(error)) as string);
}
