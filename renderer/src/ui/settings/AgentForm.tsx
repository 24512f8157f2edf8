// The token agent's two settings: the Vault-Agent-compatible proxy's local address (empty turns
// it off) and the token sink file. Checked here for form (loopback HOST:PORT, an absolute path);
// the host checks that the port is free and the folder exists, and answers next to the field.
import { useState, type FormEvent } from 'react';
import { SettingsUpdateInput, type ApiError, type SettingsView } from '../../../../app/api';
import { errorTitle } from '../../lib/errors';
import { TextField } from '../TextField';

type Field = 'listen' | 'tokenSink';

export interface AgentFormProps {
  agent: SettingsView['agent'];
  save(agent: { listen: string | null; tokenSink: string | null }): Promise<ApiError | undefined>;
}

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):\d{1,5}$/i;

function localProblems(listen: string, tokenSink: string): Partial<Record<Field, string>> {
  const problems: Partial<Record<Field, string>> = {};
  if (listen) {
    const parsed = SettingsUpdateInput.safeParse({ agent: { listen } });
    if (!parsed.success) problems.listen = parsed.error.issues[0]?.message;
    else if (!LOOPBACK.test(listen)) problems.listen = 'Use a loopback address (127.0.0.1, [::1] or localhost): the proxy uses your token for whoever connects.';
    else if (Number(listen.slice(listen.lastIndexOf(':') + 1)) < 1 || Number(listen.slice(listen.lastIndexOf(':') + 1)) > 65535) problems.listen = 'The port is a number from 1 to 65535.';
  }
  if (tokenSink && !/^(?:\/|~\/|[A-Za-z]:[\\/])/.test(tokenSink)) problems.tokenSink = 'Use an absolute path (or one starting with ~/).';
  return problems;
}

export function AgentForm({ agent, save }: AgentFormProps) {
  const initial = { listen: agent.listen ?? '', tokenSink: agent.tokenSink ?? '' };
  const [values, setValues] = useState(initial);
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const changed = values.listen.trim() !== initial.listen || values.tokenSink.trim() !== initial.tokenSink;

  const update = (field: Field) => (value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setProblems((p) => ({ ...p, [field]: undefined }));
    setRefusal(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const listen = values.listen.trim();
    const tokenSink = values.tokenSink.trim();
    const found = localProblems(listen, tokenSink);
    setProblems(found);
    if (Object.values(found).some(Boolean)) return;
    setSending(true);
    const error = await save({ listen: listen || null, tokenSink: tokenSink || null });
    setSending(false);
    if (!error) return;
    const field = error.field?.replace(/^agent\./, '') as Field | undefined;
    if (field === 'listen' || field === 'tokenSink') setProblems({ [field]: error.message });
    else setRefusal(error);
  }

  return (
    <form onSubmit={submit} noValidate>
      <TextField
        label="Agent listener"
        name="agent-listen"
        optional
        placeholder="off (e.g. 127.0.0.1:8100)"
        value={values.listen}
        onChange={update('listen')}
        problem={problems.listen}
        hint={
          values.listen.trim() ? (
            <>
              Tools use it with <code>VAULT_AGENT_ADDR=http://{values.listen.trim()}</code>, no token needed.
            </>
          ) : (
            'Empty: the caching proxy is off.'
          )
        }
      />
      <TextField
        label="Token sink"
        name="agent-token-sink"
        optional
        placeholder="none (e.g. ~/.vault-token)"
        value={values.tokenSink}
        onChange={update('tokenSink')}
        problem={problems.tokenSink}
        hint="A file Sesame keeps the current Vault token in (mode 0600), for tools that read one."
      />
      {refusal && (
        <div className="notice notice-bad" role="alert">
          <strong>{errorTitle(refusal.code)}.</strong> {refusal.message}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={sending || !changed}>
          {sending ? 'Saving…' : 'Save agent settings'}
        </button>
      </div>
    </form>
  );
}
