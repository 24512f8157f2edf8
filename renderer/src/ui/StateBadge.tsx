// A state told three ways at once: a shape, a word and a colour.
import type { ConnectionState, SessionState, VaultHealthStatus } from '../../../app/api';
import { StatusGlyph, type Glyph } from './icons';

export type Tone = 'ok' | 'work' | 'warn' | 'bad' | 'off';

interface Look {
  glyph: Glyph;
  tone: Tone;
  words: string;
}

export const CONNECTION_LOOK: Record<ConnectionState, Look> = {
  off: { glyph: 'hollow', tone: 'off', words: 'Off' },
  starting: { glyph: 'ring', tone: 'work', words: 'Starting…' },
  ready: { glyph: 'filled', tone: 'ok', words: 'Ready' },
  error: { glyph: 'triangle', tone: 'bad', words: 'Error' },
};

export const SESSION_LOOK: Record<SessionState, Look> = {
  'logged-out': { glyph: 'hollow', tone: 'off', words: 'Logged out' },
  'logging-in': { glyph: 'ring', tone: 'work', words: 'Logging in…' },
  authenticated: { glyph: 'filled', tone: 'ok', words: 'Logged in' },
  renewing: { glyph: 'ring', tone: 'work', words: 'Renewing…' },
  expiring: { glyph: 'triangle', tone: 'warn', words: 'Expiring soon' },
  expired: { glyph: 'cross', tone: 'bad', words: 'Expired' },
  error: { glyph: 'cross', tone: 'bad', words: 'Error' },
};

export const VAULT_LOOK: Record<VaultHealthStatus, Look> = {
  ok: { glyph: 'filled', tone: 'ok', words: 'Up' },
  standby: { glyph: 'filled', tone: 'ok', words: 'Up (standby)' },
  sealed: { glyph: 'triangle', tone: 'warn', words: 'Sealed' },
  uninitialized: { glyph: 'triangle', tone: 'warn', words: 'Not initialized' },
  unreachable: { glyph: 'cross', tone: 'bad', words: 'Unreachable' },
  error: { glyph: 'cross', tone: 'bad', words: 'Not answering like Vault' },
  unconfigured: { glyph: 'hollow', tone: 'off', words: 'Not checked yet' },
};

export function StateBadge({ look, className = '' }: { look: Look; className?: string }) {
  return (
    <span className={`state state-${look.tone} ${className}`.trim()}>
      <StatusGlyph glyph={look.glyph} />
      <span className="state-words">{look.words}</span>
    </span>
  );
}
