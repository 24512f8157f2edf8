// Copies a value and says so, visibly and to screen readers.
import { useEffect, useState } from 'react';
import { copyText } from '../lib/clipboard';
import { CopyIcon } from './icons';

export function CopyButton({ value, label }: { value: string; label: string }) {
  const [result, setResult] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (!result) return;
    const timer = setTimeout(() => setResult(null), 1600);
    return () => clearTimeout(timer);
  }, [result]);
  return (
    <>
      <button
        type="button"
        className="button button-quiet button-small"
        aria-label={label}
        onClick={async () => setResult((await copyText(value)) ? 'copied' : 'failed')}
      >
        <CopyIcon />
        <span aria-hidden="true">{result === 'copied' ? 'Copied' : result === 'failed' ? 'Copy failed' : 'Copy'}</span>
      </button>
      <span className="visually-hidden" role="status">
        {result === 'copied' ? 'Copied' : result === 'failed' ? 'Could not copy' : ''}
      </span>
    </>
  );
}
