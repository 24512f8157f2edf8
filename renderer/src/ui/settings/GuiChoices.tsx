// "Open in …" per database connection: the system's handler for its URL or a GUI Sesame knows.
// A command template ({url} {host} …) is a program to run, so it is set in the config file
// only; here it shows as such and can be replaced by a known GUI or the default. Saved at
// once; the connection keeps running.
import { useId, useState, type FormEvent } from 'react';
import { KnownGui, type ApiError, type SettingsView } from '../../../../app/api';

const DEFAULT = '';
const FROM_FILE = 'config-file';

const isKnown = (gui: string | undefined): gui is KnownGui => KnownGui.safeParse(gui).success;

type GuiEntry = SettingsView['guis'][number];

function GuiChoiceRow({
  entry: { connection, gui, choices },
  save,
}: {
  entry: GuiEntry;
  save(gui: KnownGui | null): Promise<ApiError | undefined>;
}) {
  const id = useId();
  const template = gui !== undefined && !isKnown(gui) ? gui : undefined;
  // A GUI saved by hand that does not speak this protocol still shows, named as such.
  const unfit = isKnown(gui) && !choices.some((c) => c.id === gui) ? gui : undefined;
  const initial = gui === undefined ? DEFAULT : template !== undefined ? FROM_FILE : gui;
  const [choice, setChoice] = useState(initial);
  const [problem, setProblem] = useState<string>();
  const [saving, setSaving] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (choice === FROM_FILE) return;
    setSaving(true);
    const error = await save(choice === DEFAULT ? null : (choice as KnownGui));
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
        aria-describedby={problem ? `${id}-problem` : template !== undefined ? `${id}-template` : undefined}
        onChange={(e) => {
          setChoice(e.target.value);
          setProblem(undefined);
        }}
      >
        <option value={DEFAULT}>The system's handler for its URL</option>
        {choices.map((choice) => (
          <option key={choice.id} value={choice.id}>
            {choice.label}
          </option>
        ))}
        {unfit && (
          <option value={unfit} disabled>
            {unfit} (does not open this kind of database)
          </option>
        )}
        {template !== undefined && <option value={FROM_FILE}>The command in the config file</option>}
      </select>
      <button
        type="submit"
        className="button button-small"
        disabled={saving || choice === initial || choice === FROM_FILE}
      >
        {saving ? 'Saving…' : 'Save'}
      </button>
      {problem ? (
        <p className="field-problem gui-choice-note" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      ) : (
        template !== undefined && (
          <p className="field-hint gui-choice-note" id={`${id}-template`}>
            Runs <code>{template}</code> (set in the config file, where commands are edited).
          </p>
        )
      )}
    </form>
  );
}

export function GuiChoices({
  guis,
  save,
}: {
  guis: SettingsView['guis'];
  save(connection: string, gui: KnownGui | null): Promise<ApiError | undefined>;
}) {
  if (guis.length === 0) return <p className="muted">No database connections.</p>;
  return (
    <div className="gui-choices">
      {guis.map((choice) => (
        <GuiChoiceRow key={choice.connection} entry={choice} save={(gui) => save(choice.connection, gui)} />
      ))}
    </div>
  );
}
