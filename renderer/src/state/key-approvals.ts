// The open "may this process use the key?" questions (ssh-agent connections with key.confirm),
// mirrored from the host's `keys.requests` event; answering goes straight to the host.
import { create } from 'zustand';
import type { ApiError, AppApi, KeyApprovalRequest, KeyDecision } from '../../../app/api';
import { asApiError } from '../lib/errors';

interface KeyApprovalsState {
  open: KeyApprovalRequest[];
}

export const useKeyApprovalsStore = create<KeyApprovalsState>(() => ({ open: [] }));

export function applyKeyRequests(open: KeyApprovalRequest[]): void {
  useKeyApprovalsStore.setState({ open });
}

export async function loadKeyRequests(api: AppApi): Promise<void> {
  try {
    applyKeyRequests(await api.call('keys.requests', {}));
  } catch {
    // A host without key.confirm support has no questions to show.
    applyKeyRequests([]);
  }
}

/** Answer one question; resolves to the error to show, or undefined once the host took it. */
export async function answerKeyRequest(api: AppApi, id: string, decision: KeyDecision): Promise<ApiError | undefined> {
  try {
    await api.call('keys.answer', { id, decision });
    return undefined;
  } catch (error) {
    return asApiError(error);
  }
}
