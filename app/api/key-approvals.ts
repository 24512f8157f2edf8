// "May this process use the key?" — an ssh-agent connection with key.confirm asks before a
// client's first signature (ssh-add -c, 1Password's SSH agent). The host keeps the questions
// open; the UI shows them and answers. The process is named as the kernel names it.
import { z } from 'zod';

/** once: this ssh login; session: this process until it exits or Sesame logs out; deny: refuse. */
export const KeyDecision = z.enum(['once', 'session', 'deny']);
export type KeyDecision = z.infer<typeof KeyDecision>;

export const KeyApprovalRequest = z.object({
  id: z.string(),
  /** The ssh-agent connection whose key is asked for. */
  connection: z.string(),
  process: z.object({
    /** `ssh`, `git`, …; `unknown` when the kernel could not say. */
    name: z.string(),
    pid: z.number().int().positive().optional(),
    /** The program's path, when readable. */
    executable: z.string().optional(),
    /** Its command line, shortened. */
    command: z.string().optional(),
  }),
  /** Where the ssh is going (`user@host port 22`), when its arguments say. */
  destination: z.string().optional(),
  askedAt: z.string(),
  /** No answer by then is a deny. */
  expiresAt: z.string(),
});
export type KeyApprovalRequest = z.infer<typeof KeyApprovalRequest>;

export const KeyAnswerInput = z.object({ id: z.string().min(1).max(64), decision: KeyDecision }).strict();
