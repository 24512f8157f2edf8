// Small inline icons. Each status glyph has its own shape, so a state never depends on colour.
import type { Protocol } from '../../../app/api';

export type Glyph = 'filled' | 'hollow' | 'ring' | 'triangle' | 'cross';

export function StatusGlyph({ glyph }: { glyph: Glyph }) {
  return (
    <svg
      className={`glyph glyph-${glyph}`}
      viewBox="0 0 16 16"
      width="14"
      height="14"
      aria-hidden="true"
      focusable="false"
    >
      {glyph === 'filled' && <circle cx="8" cy="8" r="6" fill="currentColor" />}
      {glyph === 'hollow' && <circle cx="8" cy="8" r="5.25" fill="none" stroke="currentColor" strokeWidth="1.5" />}
      {glyph === 'ring' && (
        <path
          d="M8 2.5a5.5 5.5 0 1 1-5.5 5.5"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
        />
      )}
      {glyph === 'triangle' && <path d="M8 1.8 15 14H1z" fill="currentColor" />}
      {glyph === 'cross' && (
        <path d="M3.5 3.5l9 9m0-9-9 9" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" />
      )}
    </svg>
  );
}

export function ProtocolIcon({ protocol }: { protocol: Protocol }) {
  const common = {
    fill: 'none',
    stroke: 'currentColor',
    strokeWidth: 1.5,
    strokeLinecap: 'round',
    strokeLinejoin: 'round',
  } as const;
  return (
    <svg className="protocol-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      {(protocol === 'postgres' || protocol === 'mysql') && (
        <g {...common}>
          <ellipse cx="12" cy="5.5" rx="7" ry="2.5" />
          <path d="M5 5.5v13c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5v-13" />
          <path d="M5 12c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5" />
        </g>
      )}
      {protocol === 'ssh' && (
        <g {...common}>
          <rect x="2.5" y="4" width="19" height="16" rx="2.5" />
          <path d="m7 10 3 2.5L7 15m5 0h5" />
        </g>
      )}
      {protocol === 'ssh-agent' && (
        <g {...common}>
          <circle cx="8" cy="12" r="4" />
          <path d="M12 12h9m-3 0v3m-3-3v2" />
        </g>
      )}
      {protocol === 'http' && (
        <g {...common}>
          <circle cx="12" cy="12" r="9" />
          <path d="M3 12h18M12 3c2.5 2.7 3.5 5.7 3.5 9s-1 6.3-3.5 9c-2.5-2.7-3.5-5.7-3.5-9S9.5 5.7 12 3z" />
        </g>
      )}
    </svg>
  );
}

export function CopyIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
      <rect x="5" y="5" width="8.5" height="8.5" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
      <path
        d="M3 10.5V3.8C3 3.4 3.4 3 3.8 3h6.7"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.4"
        strokeLinecap="round"
      />
    </svg>
  );
}

export function SesameMark() {
  return (
    <svg className="mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <rect x="3" y="10" width="18" height="11" rx="2.5" fill="currentColor" opacity="0.9" />
      <path
        d="M7.5 10V7.5a4.5 4.5 0 0 1 8.7-1.6"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
      />
      <circle cx="12" cy="15.5" r="1.6" fill="var(--surface)" />
    </svg>
  );
}
