// The key.confirm questions as the host keeps them: an unanswered one is denied at its deadline,
// "for this session" spares the same process (not a new one reusing its pid) until logout, and
// a client that goes away withdraws its question. The end-to-end proof with real ssh is in
// ssh-agent.integration.test.ts and e2e/key-confirm.e2e.ts.
import { describe, expect, it } from 'vitest';
import type { AgentPeer } from '../../broker/ssh-agent';
import type { KeyApprovalRequest } from '../api';
import { createActivityLog } from './activity';
import { createKeyApprovals } from './key-approvals';

const ssh: AgentPeer = { pid: 4242, processName: 'ssh', startTime: '1000', destination: 'me@db port 22' };

function setup(timeoutMs = 60_000) {
  const activity = createActivityLog(100, () => {});
  const notes: string[] = [];
  const changes: KeyApprovalRequest[][] = [];
  const approvals = createKeyApprovals({
    activity,
    platform: { notify: (title, body) => void notes.push(`${title}: ${body}`) },
    changed: (open) => void changes.push(open),
    timeoutMs,
  });
  return { approvals, activity, notes, changes };
}

describe('key approvals', () => {
  it('denies a question nobody answers by its deadline, and says so', async () => {
    const { approvals, activity, notes } = setup(50);
    const answer = approvals.ask('deploy-key', ssh);
    expect(approvals.open()).toHaveLength(1);
    expect(notes).toEqual([
      'Allow use of your SSH key?: ssh (pid 4242) wants to use the key of deploy-key to log in to me@db port 22. Answer in Sesame within 0 s.',
    ]);
    expect(await answer).toBe('deny');
    expect(approvals.open()).toEqual([]);
    expect(activity.list().map((a) => a.message)).toContain(
      'ssh (pid 4242) on deploy-key: not answered within 0 s: denied',
    );
  });

  it('remembers "for this session" for that process only, until logout', async () => {
    const { approvals } = setup();
    const first = approvals.ask('deploy-key', ssh);
    approvals.answer(approvals.open()[0]!.id, 'session');
    expect(await first).toBe('session');
    // The same process again: not asked.
    expect(await approvals.ask('deploy-key', ssh)).toBe('session');
    expect(approvals.open()).toEqual([]);
    // Another connection's key, or a new process that got the same pid: asked.
    void approvals.ask('other-key', ssh);
    void approvals.ask('deploy-key', { ...ssh, startTime: '2000' });
    expect(approvals.open().map((q) => q.connection)).toEqual(['other-key', 'deploy-key']);
    for (const q of approvals.open()) approvals.answer(q.id, 'deny');
    // After a logout the grant is gone.
    approvals.forgetGrants();
    void approvals.ask('deploy-key', ssh);
    expect(approvals.open()).toHaveLength(1);
    approvals.close();
  });

  it('"once" is not remembered; an unknown process is asked every time', async () => {
    const { approvals } = setup();
    const first = approvals.ask('deploy-key', ssh);
    approvals.answer(approvals.open()[0]!.id, 'once');
    expect(await first).toBe('once');
    void approvals.ask('deploy-key', ssh);
    expect(approvals.open()).toHaveLength(1);
    approvals.close();
    const unknown = { pid: undefined, processName: 'unknown' };
    const a = approvals.ask('deploy-key', unknown);
    approvals.answer(approvals.open()[0]!.id, 'session');
    expect(await a).toBe('session');
    void approvals.ask('deploy-key', unknown);
    expect(approvals.open()[0]!.process).toEqual({ name: 'unknown' });
    approvals.close();
  });

  it('withdraws the question of a client that went away; an answer after that is not-found', async () => {
    const { approvals, changes } = setup();
    const gone = new AbortController();
    const answer = approvals.ask('deploy-key', ssh, gone.signal);
    const { id } = approvals.open()[0]!;
    gone.abort();
    expect(await answer).toBe('deny');
    expect(changes.at(-1)).toEqual([]);
    expect(() => approvals.answer(id, 'once')).toThrow(/no longer open/);
  });

  it('denies every open question when the host closes', async () => {
    const { approvals } = setup();
    const pending = [approvals.ask('a', ssh), approvals.ask('b', ssh)];
    approvals.close();
    expect(await Promise.all(pending)).toEqual(['deny', 'deny']);
  });
});
