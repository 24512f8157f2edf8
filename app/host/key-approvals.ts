// The host's side of key.confirm: each signature an ssh-agent connection is asked for by a new
// client becomes an open question (shown in the app, raised as a notification), answered by the
// user or denied after a minute. "Allow for this session" is remembered here, per connection
// and process (pid + start time, so a reused pid is asked again), until the next logout.
import { randomUUID } from 'node:crypto';
import type { AgentApproval, AgentPeer } from '../../broker/ssh-agent';
import { ApiError, type KeyApprovalRequest, type KeyDecision } from '../api';
import type { Platform } from '../platform';
import type { ActivityLog } from './activity';

/** ssh-add -c's askpass has no timeout; a question nobody sees should not hold ssh for ever. */
export const KEY_APPROVAL_TIMEOUT_MS = 60_000;

export interface KeyApprovals {
  /**
   * Ask the user whether `peer` may use `connection`'s key; resolves with the answer (deny on
   * timeout). An aborted `signal` (the client went away) withdraws the question.
   */
  ask(connection: string, peer: AgentPeer, signal?: AbortSignal): Promise<AgentApproval>;
  /** The open questions, oldest first. */
  open(): KeyApprovalRequest[];
  /** Answer an open question; one already answered or timed out is not-found. */
  answer(id: string, decision: KeyDecision): void;
  /** Forget every "for this session" grant (at logout). */
  forgetGrants(): void;
  /** Deny every open question (the host is closing). */
  close(): void;
}

interface OpenQuestion {
  request: KeyApprovalRequest;
  settle(decision: AgentApproval, why: string): void;
}

export function createKeyApprovals(deps: {
  activity: ActivityLog;
  platform: Pick<Platform, 'notify'>;
  changed(open: KeyApprovalRequest[]): void;
  timeoutMs?: number;
}): KeyApprovals {
  const timeoutMs = deps.timeoutMs ?? KEY_APPROVAL_TIMEOUT_MS;
  const questions = new Map<string, OpenQuestion>();
  const grants = new Set<string>();
  const open = () => [...questions.values()].map((q) => q.request);

  const who = (peer: AgentPeer) =>
    peer.pid === undefined ? 'an unknown process' : `${peer.processName} (pid ${peer.pid})`;
  const grantKey = (connection: string, peer: AgentPeer) =>
    peer.pid === undefined ? undefined : `${connection}\n${peer.pid}:${peer.startTime ?? ''}`;

  return {
    ask(connection, peer, signal) {
      const key = grantKey(connection, peer);
      if (key && grants.has(key)) return Promise.resolve('session');
      const now = Date.now();
      const request: KeyApprovalRequest = {
        id: randomUUID(),
        connection,
        process: {
          name: peer.processName,
          ...(peer.pid !== undefined ? { pid: peer.pid } : {}),
          ...(peer.executable ? { executable: peer.executable } : {}),
          ...(peer.command ? { command: peer.command } : {}),
        },
        ...(peer.destination ? { destination: peer.destination } : {}),
        askedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + timeoutMs).toISOString(),
      };
      const going = peer.destination ? ` to log in to ${peer.destination}` : '';
      deps.activity.add({
        level: 'warn',
        kind: 'key-approval',
        message: `${who(peer)} asks to use the key of ${connection}${going}`,
        connection,
      });
      deps.platform.notify(
        'Allow use of your SSH key?',
        `${who(peer)} wants to use the key of ${connection}${going}. Answer in Sesame within ${Math.round(timeoutMs / 1000)} s.`,
      );
      return new Promise<AgentApproval>((resolve) => {
        const timer = setTimeout(
          () => settle('deny', `not answered within ${Math.round(timeoutMs / 1000)} s: denied`),
          timeoutMs,
        );
        timer.unref?.();
        const settle = (decision: AgentApproval, why: string) => {
          if (!questions.delete(request.id)) return;
          clearTimeout(timer);
          if (decision === 'session' && key) grants.add(key);
          deps.activity.add({
            level: decision === 'deny' ? 'warn' : 'info',
            kind: 'key-approval',
            message: `${who(peer)} on ${connection}: ${why}`,
            connection,
          });
          deps.changed(open());
          resolve(decision);
        };
        questions.set(request.id, { request, settle });
        signal?.addEventListener('abort', () => settle('deny', 'the client went away before an answer'), {
          once: true,
        });
        deps.changed(open());
      });
    },
    open,
    answer(id, decision) {
      const question = questions.get(id);
      if (!question)
        throw new ApiError(
          'not-found',
          'That request is no longer open: it was answered, or it timed out and was denied.',
          'id',
        );
      const words = { once: 'allowed once', session: 'allowed until it exits or you log out', deny: 'denied' };
      question.settle(decision, words[decision]);
    },
    forgetGrants: () => grants.clear(),
    close() {
      for (const question of [...questions.values()]) question.settle('deny', 'Sesame is closing: denied');
    },
  };
}
