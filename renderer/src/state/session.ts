// The Vault session as the host reports it. Login secrets never enter this store: the form
// keeps them in its own state and hands them straight to the call.
import { create } from 'zustand';
import type { ApiError, AppApi, LoginInput, SessionView } from '../../../app/api';
import { asApiError } from '../lib/errors';

interface SessionState {
  session: SessionView | null;
}

export const useSessionStore = create<SessionState>(() => ({ session: null }));

export function applySession(session: SessionView): void {
  useSessionStore.setState({ session });
}

/** Log in; resolves to the error to show in the form, or undefined on success. */
export async function logIn(api: AppApi, input: LoginInput): Promise<ApiError | undefined> {
  try {
    applySession(await api.call('session.login', input));
    return undefined;
  } catch (error) {
    return asApiError(error);
  }
}

/** Log out, or cancel a login that waits on the browser. */
export async function logOut(api: AppApi): Promise<ApiError | undefined> {
  try {
    applySession(await api.call('session.logout', {}));
    return undefined;
  } catch (error) {
    return asApiError(error);
  }
}

/** States in which the login form is shown. */
export function needsLogin(session: SessionView): boolean {
  return ['logged-out', 'logging-in', 'expired', 'error'].includes(session.state);
}
