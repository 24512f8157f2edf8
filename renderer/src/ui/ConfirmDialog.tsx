// Asks before anything that acts at Vault or drops cached state. A native modal <dialog>: focus
// stays inside, Escape cancels, and the safe choice (Cancel) has the focus when it opens.
import { useEffect, useId, useRef, type ReactNode } from 'react';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  /** The confirming button's words: "Evict", "Revoke", "Clear cache". */
  confirmLabel: string;
  /** Destructive actions get the warning colour. */
  tone?: 'danger' | 'normal';
  busy?: boolean;
  /** The host's refusal, shown in the dialog so the user sees why nothing happened. */
  error?: string;
  onConfirm(): void;
  onCancel(): void;
}

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  tone = 'normal',
  busy = false,
  error,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const id = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (!element.open) element.showModal();
    cancel.current?.focus();
    return () => element.close();
  }, []);

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(event) => {
        // Escape: let React decide when it closes, so state and DOM agree.
        event.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <div id={`${id}-body`} className="dialog-body">
        {children}
      </div>
      {error && (
        <p className="notice notice-bad" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions dialog-actions">
        <button ref={cancel} type="button" className="button" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className={tone === 'danger' ? 'button button-danger' : 'button button-primary'}
          disabled={busy}
          onClick={onConfirm}
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
