// Every failure the UI shows is an ApiError with plain words, whatever shape it arrived in
// (a bridge result, an error that crossed Electron's contextBridge, a programming error).
import { ApiError, ApiErrorCode } from '../../../app/api';

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error && typeof error === 'object') {
    const { code, message, field } = error as { code?: unknown; message?: unknown; field?: unknown };
    if (ApiErrorCode.safeParse(code).success && typeof message === 'string') {
      return new ApiError(code as ApiErrorCode, message, typeof field === 'string' ? field : undefined);
    }
  }
  return new ApiError('internal', 'Something went wrong in Sesame; the log has the details.');
}

/** A short headline for an error, above the host's own sentence. */
export function errorTitle(code: ApiErrorCode): string {
  switch (code) {
    case 'vault-unreachable':
      return 'Vault cannot be reached';
    case 'vault-sealed':
      return 'Vault is sealed';
    case 'permission-denied':
      return 'Permission denied';
    case 'unauthenticated':
      return 'Not logged in';
    case 'invalid-input':
      return 'Please check the form';
    case 'not-found':
      return 'Not found';
    case 'conflict':
      return 'Not possible right now';
    case 'unknown-command':
      return 'Sesame did not understand the request';
    case 'internal':
      return 'Something went wrong';
  }
}
