// Copies a value and says so, visibly and to screen readers. `compact` shows only the icon
// (in dense rows) until it has something to say.
import { useEffect, useState } from 'react';
import { copyText } from '../lib/clipboard';
import { CopyIcon } from './icons';

export function CopyButton({
  value,
  label,
  compact = false,
  text = 'Copy',
}: {
  value: string;
  label: string;
  compact?: boolean;
  text?: string;
}) {
  const [result, setResult] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (!result) return;
    const timer = setTimeout(() => setResult(null), 1600);
    return () => clearTimeout(timer);
  }, [result]);
  const shown = result === 'copied' ? 'Copied' : result === 'failed' ? 'Copy failed' : compact ? null : text;
  return (
    <>
      <button
        type="button"
        className={compact ? 'button button-quiet button-small button-icon' : 'button button-quiet button-small'}
        aria-label={label}
        title={compact ? label : undefined}
        onClick={async () => setResult((await copyText(value)) ? 'copied' : 'failed')}
      >
        <CopyIcon />
        {shown && <span aria-hidden="true">{shown}</span>}
      </button>
      <span className="visually-hidden" role="status">
        {result === 'copied' ? 'Copied' : result === 'failed' ? 'Could not copy' : ''}
      </span>
    </>
  );
}
