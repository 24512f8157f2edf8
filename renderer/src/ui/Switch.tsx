// An accessible on/off switch: a button with role="switch", named by its label.
export interface SwitchProps {
  checked: boolean;
  label: string;
  busy?: boolean;
  onChange(checked: boolean): void;
}

export function Switch({ checked, label, busy = false, onChange }: SwitchProps) {
  return (
    <button
      type="button"
      role="switch"
      className="switch"
      aria-checked={checked}
      aria-label={label}
      aria-busy={busy || undefined}
      onClick={() => {
        // A second click while the host works on the first would race it.
        if (!busy) onChange(!checked);
      }}
    >
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      <span className="switch-text" aria-hidden="true">
        {checked ? 'On' : 'Off'}
      </span>
    </button>
  );
}
