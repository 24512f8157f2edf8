// "Open in …" per database connection: the system's handler for its URL, a GUI Sesame knows,
// or the user's own command template ({url} {host} {port} {user} {database}, run without a
// shell). Saved at once; the connection keeps running.
import { useId, useState, type FormEvent } from 'react';
import { KnownGui, type ApiError, type SettingsView } from '../../../../app/api';

const GUI_NAMES: Record<KnownGui, string> = {
  dbeaver: 'DBeaver',
  pgadmin4: 'pgAdmin 4',
  datagrip: 'DataGrip',
  tableplus: 'TablePlus',
  'mysql-workbench': 'MySQL Workbench',
  'beekeeper-studio': 'Beekeeper Studio',
};
const DEFAULT = '';
const CUSTOM = 'custom';

const isKnown = (gui: string | undefined): gui is KnownGui => KnownGui.safeParse(gui).success;

function GuiChoiceRow({ connection, gui, save }: { connection: string; gui: string | undefined; save(gui: string | null): Promise<ApiError | undefined> }) {
  const id = useId();
  const [choice, setChoice] = useState(gui === undefined ? DEFAULT : isKnown(gui) ? gui : CUSTOM);
  const [template, setTemplate] = useState(gui !== undefined && !isKnown(gui) ? gui : '');
  const [problem, setProblem] = useState<string>();
  const [saving, setSaving] = useState(false);
  const wanted = choice === DEFAULT ? null : choice === CUSTOM ? template.trim() : choice;
  const changed = (wanted ?? undefined) !== gui;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (choice === CUSTOM && !template.trim()) return setProblem('Enter the command to run, e.g. psql {url}.');
    setSaving(true);
    const error = await save(wanted);
    setSaving(false);
    setProblem(error?.message);
  }

  return (
    <form className="gui-choice" onSubmit={submit} noValidate aria-labelledby={`${id}-name`}>
      <span className="gui-choice-name" id={`${id}-name`}>
        {connection}
      </span>
      <label htmlFor={`${id}-choice`} className="visually-hidden">
        Open {connection} in
      </label>
      <select
        id={`${id}-choice`}
        value={choice}
        onChange={(e) => {
          setChoice(e.target.value);
          setProblem(undefined);
        }}
      >
        <option value={DEFAULT}>The system's handler for its URL</option>
        {KnownGui.options.map((name) => (
          <option key={name} value={name}>
            {GUI_NAMES[name]}
          </option>
        ))}
        <option value={CUSTOM}>My own command…</option>
      </select>
      {choice === CUSTOM && (
        <>
          <label htmlFor={`${id}-template`} className="visually-hidden">
            Command for {connection}
          </label>
          <input
            id={`${id}-template`}
            type="text"
            className="gui-template"
            value={template}
            placeholder="psql {url}"
            spellCheck={false}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-problem` : `${id}-hint`}
            onChange={(e) => {
              setTemplate(e.target.value);
              setProblem(undefined);
            }}
          />
        </>
      )}
      <button type="submit" className="button button-small" disabled={saving || !changed}>
        {saving ? 'Saving…' : 'Save'}
      </button>
      {problem ? (
        <p className="field-problem gui-choice-note" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      ) : (
        choice === CUSTOM && (
          <p className="field-hint gui-choice-note" id={`${id}-hint`}>
            Placeholders: {'{url} {host} {port} {user} {database}'}. It runs without a shell.
          </p>
        )
      )}
    </form>
  );
}

export function GuiChoices({ guis, save }: { guis: SettingsView['guis']; save(connection: string, gui: string | null): Promise<ApiError | undefined> }) {
  if (guis.length === 0) return <p className="muted">No database connections.</p>;
  return (
    <div className="gui-choices">
      {guis.map((choice) => (
        <GuiChoiceRow key={choice.connection} connection={choice.connection} gui={choice.gui} save={(gui) => save(choice.connection, gui)} />
      ))}
    </div>
  );
}
