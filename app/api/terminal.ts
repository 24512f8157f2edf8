// The in-app terminal's part of the AppApi: a shell on an ssh connection, its bytes relayed as
// commands (keystrokes, resizes) and events (output, exit). Output is text: the host decodes
// the shell's UTF-8 as a stream, so a character split across packets arrives whole.
import { z } from 'zod';

/** Upper bound of one `terminal.input` (a large paste is split by the UI). */
export const MAX_TERMINAL_INPUT_BYTES = 64 * 1024;

export const TerminalId = z.string().min(1).max(64);
const cols = z.number().int().min(1).max(1000);
const rows = z.number().int().min(1).max(500);

export const TerminalOpenInput = z.object({ name: z.string().min(1).max(128), cols, rows }).strict();
export const TerminalInputInput = z
  .object({
    id: TerminalId,
    data: z
      .string()
      .max(MAX_TERMINAL_INPUT_BYTES)
      .refine((data) => new TextEncoder().encode(data).byteLength <= MAX_TERMINAL_INPUT_BYTES, {
        message: `at most ${MAX_TERMINAL_INPUT_BYTES / 1024} KiB per call`,
      }),
  })
  .strict();
export const TerminalResizeInput = z.object({ id: TerminalId, cols, rows }).strict();

export const TerminalOutput = z.object({ id: TerminalId, data: z.string() });
export type TerminalOutput = z.infer<typeof TerminalOutput>;

export const TerminalExit = z.object({
  id: TerminalId,
  code: z.number().int().optional(),
  signal: z.string().optional(),
  /** Plain words when the session failed or was closed rather than the shell exiting. */
  message: z.string().optional(),
});
export type TerminalExit = z.infer<typeof TerminalExit>;
