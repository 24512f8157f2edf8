// What the settings forms share: text values by field, a problem per field, the host's refusal
// when it names no field of the form, and a sending flag. `send` runs the call and routes its
// error: to the field it names (after `fieldOf` maps the host's name), else to the form.
import { useState } from 'react';
import type { ApiError } from '../../../app/api';
import { errorTitle } from '../lib/errors';

export function useFieldForm<F extends string>(
  initial: Record<F, string>,
  fieldOf: (hostField: string | undefined) => F | undefined,
) {
  const [values, setValues] = useState(initial);
  const [problems, setProblems] = useState<Partial<Record<F, string>>>({});
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const changed = (Object.keys(initial) as F[]).some((f) => values[f].trim() !== initial[f].trim());

  const update = (field: F) => (value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setProblems((p) => ({ ...p, [field]: undefined }));
    setRefusal(null);
  };

  /** Send; resolves to the field the refusal landed on, if any. */
  async function send(call: () => Promise<ApiError | undefined>): Promise<F | undefined> {
    setRefusal(null);
    setSending(true);
    const error = await call();
    setSending(false);
    if (!error) return undefined;
    const field = fieldOf(error.field);
    if (field) setProblems({ [field]: error.message } as Partial<Record<F, string>>);
    else setRefusal(error);
    return field;
  }

  return { values, problems, setProblems, refusal, sending, changed, update, send };
}

/** The host's refusal of a whole form, in plain words with a headline. */
export function RefusalNotice({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div className="notice notice-bad" role="alert">
      <strong>{errorTitle(error.code)}.</strong> {error.message}
    </div>
  );
}
