// The local address of a connection, with its port editable in place. The port is checked here
// before it is sent; the host's refusal (a busy port, a non-loopback address) comes back into
// the same spot, next to the field. Escape or Cancel leaves the address as it was.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ListenAddressInput, type ConnectionView } from '../../../../app/api';
import { setConnectionListen } from '../../state/connections';
import { CopyButton } from '../CopyButton';
import { useHostLink } from '../host-context';

/** `127.0.0.1:15432` → host and port; unix sockets are edited whole. */
function splitListen(listen: string): { host: string; port: string } | undefined {
  const match = /^(.*):(\d{1,5})$/.exec(listen);
  return match && !listen.startsWith('unix:') ? { host: match[1] ?? '', port: match[2] ?? '' } : undefined;
}

function checkPort(port: string): string | undefined {
  if (!/^\d{1,5}$/.test(port)) return 'The port is a number from 1 to 65535.';
  const value = Number(port);
  if (value < 1 || value > 65535) return 'The port is a number from 1 to 65535.';
  return undefined;
}

export function ListenEditor({ view }: { view: ConnectionView }) {
  const link = useHostLink();
  const id = useId();
  const parts = splitListen(view.listen);
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);

  // Back from editing, the keyboard continues where it started: on the Edit button.
  useEffect(() => {
    if (editing || !returnFocus.current) return;
    returnFocus.current = false;
    editButton.current?.focus();
  }, [editing]);

  function start() {
    setValue(parts ? parts.port : view.listen);
    setProblem(undefined);
    setEditing(true);
  }

  function stop() {
    returnFocus.current = true;
    setEditing(false);
    setProblem(undefined);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    const trimmed = value.trim();
    const local = parts ? checkPort(trimmed) : undefined;
    const listen = parts ? `${parts.host}:${trimmed}` : trimmed;
    const form = ListenAddressInput.safeParse(listen);
    if (local || !form.success)
      return setProblem(local ?? form.error?.issues[0]?.message ?? 'This address is not valid.');
    if (listen === view.listen) return stop();
    setSaving(true);
    const refusal = await setConnectionListen(link, view.name, listen);
    setSaving(false);
    if (refusal) setProblem(refusal.message);
    else stop();
  }

  if (!editing) {
    return (
      <div className="connection-address">
        <code data-testid="listen-address" className={view.state === 'ready' ? '' : 'dim'}>
          {view.listen}
        </code>
        <CopyButton value={view.listen} label={`Copy address of ${view.name}`} />
        <button
          ref={editButton}
          type="button"
          className="button button-quiet button-small"
          aria-label={`Change local port of ${view.name}`}
          onClick={start}
        >
          Edit
        </button>
      </div>
    );
  }

  const inputId = `${id}-listen`;
  return (
    <form className="connection-address listen-form" onSubmit={save} noValidate>
      <label htmlFor={inputId} className="visually-hidden">
        {parts ? `Local port of ${view.name}` : `Local address of ${view.name}`}
      </label>
      {parts && <code className="listen-host">{parts.host}:</code>}
      <input
        id={inputId}
        type="text"
        inputMode={parts ? 'numeric' : 'text'}
        className={parts ? 'port-input' : 'address-input'}
        value={value}
        autoFocus
        spellCheck={false}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${inputId}-problem` : undefined}
        onChange={(e) => {
          setValue(e.target.value);
          setProblem(undefined);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            stop();
          }
        }}
      />
      <button type="submit" className="button button-small button-primary" disabled={saving}>
        {saving ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="button button-small" disabled={saving} onClick={stop}>
        Cancel
      </button>
      {problem && (
        <p className="field-problem listen-problem" id={`${inputId}-problem`} role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
