// One labelled text input with its problem below it, tied together for screen readers
// (aria-invalid, aria-describedby). Forms keep the value and the problem; this only shows them.
import { useId, type ReactNode } from 'react';

export interface TextFieldProps {
  label: string;
  value: string;
  onChange(value: string): void;
  problem?: string;
  /** Shown under the input while there is no problem. */
  hint?: ReactNode;
  optional?: boolean;
  placeholder?: string;
  secret?: boolean;
  autoComplete?: string;
  name?: string;
  inputMode?: 'text' | 'url' | 'numeric';
}

export function TextField({
  label,
  value,
  onChange,
  problem,
  hint,
  optional,
  placeholder,
  secret,
  autoComplete = 'off',
  name,
  inputMode,
}: TextFieldProps) {
  const id = useId();
  const describedBy = problem ? `${id}-problem` : hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {optional && <span className="muted"> (optional)</span>}
      </label>
      <input
        id={id}
        name={name}
        type={secret ? 'password' : 'text'}
        inputMode={inputMode}
        value={value}
        placeholder={placeholder}
        autoComplete={autoComplete}
        spellCheck={false}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
      {problem ? (
        <p className="field-problem" id={`${id}-problem`}>
          {problem}
        </p>
      ) : (
        hint && (
          <p className="field-hint" id={`${id}-hint`}>
            {hint}
          </p>
        )
      )}
    </div>
  );
}
