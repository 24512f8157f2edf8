// The token agent's two settings: the Vault-Agent-compatible proxy's local address (empty turns
// it off) and the token sink file. Checked here for form (a unix socket or a loopback
// HOST:PORT, an absolute path); the host checks that the address is free and the folder exists,
// and answers next to the field. A TCP address is said plainly to be shared with every local user.
import type { FormEvent } from 'react';
import {
  isSharedListener,
  SettingsUpdateInput,
  vaultAgentAddr,
  type ApiError,
  type SettingsView,
} from '../../../../app/api';
import { RefusalNotice, useFieldForm } from '../form';
import { TextField } from '../TextField';

type Field = 'listen' | 'tokenSink';

export interface AgentFormProps {
  agent: SettingsView['agent'];
  save(agent: { listen: string | null; tokenSink: string | null }): Promise<ApiError | undefined>;
}

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):(\d{1,5})$/i;

function localProblems(listen: string, tokenSink: string): Partial<Record<Field, string>> {
  const problems: Partial<Record<Field, string>> = {};
  if (listen) {
    const parsed = SettingsUpdateInput.safeParse({ agent: { listen } });
    if (!parsed.success) problems.listen = parsed.error.issues[0]?.message;
    else if (isSharedListener(listen)) {
      const port = LOOPBACK.exec(listen)?.[1];
      if (port === undefined)
        problems.listen =
          'Use a loopback address (127.0.0.1, [::1] or localhost): the proxy uses your token for whoever connects.';
      else if (Number(port) < 1 || Number(port) > 65535) problems.listen = 'The port is a number from 1 to 65535.';
    }
  }
  if (tokenSink && !/^(?:\/|~\/|[A-Za-z]:[\\/])/.test(tokenSink))
    problems.tokenSink = 'Use an absolute path (or one starting with ~/).';
  return problems;
}

export function AgentForm({ agent, save }: AgentFormProps) {
  const form = useFieldForm<Field>({ listen: agent.listen ?? '', tokenSink: agent.tokenSink ?? '' }, (field) => {
    const name = field?.replace(/^agent\./, '');
    return name === 'listen' || name === 'tokenSink' ? name : undefined;
  });
  const { values, problems, update } = form;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const listen = values.listen.trim();
    const tokenSink = values.tokenSink.trim();
    const found = localProblems(listen, tokenSink);
    form.setProblems(found);
    if (Object.values(found).some(Boolean)) return;
    await form.send(() => save({ listen: listen || null, tokenSink: tokenSink || null }));
  }

  return (
    <form onSubmit={submit} noValidate>
      <TextField
        label="Agent listener"
        name="agent-listen"
        optional
        placeholder={`off (e.g. ${agent.suggestedListen ?? 'unix:/path/to/agent.sock'})`}
        value={values.listen}
        onChange={update('listen')}
        problem={problems.listen}
        hint={
          <ListenHint
            typed={values.listen.trim()}
            running={agent.listen}
            suggested={agent.suggestedListen}
            onUse={(value) => update('listen')(value)}
          />
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
      <RefusalNotice error={form.refusal} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={form.sending || !form.changed}>
          {form.sending ? 'Saving…' : 'Save agent settings'}
        </button>
      </div>
    </form>
  );
}

/** What the typed address will mean: said only when it differs from what runs (shown above the form). */
function ListenHint({
  typed,
  running,
  suggested,
  onUse,
}: {
  typed: string;
  running: string | undefined;
  suggested: string | undefined;
  onUse(value: string): void;
}) {
  if (!typed) {
    return (
      <>
        Empty: the caching proxy is off.
        {suggested && (
          <>
            {' '}
            <button type="button" className="link-button" onClick={() => onUse(suggested)}>
              Use a private socket
            </button>
          </>
        )}
      </>
    );
  }
  if (typed === running) return <>{isSharedListener(typed) ? <SharedWarning /> : 'Only you can open this socket.'}</>;
  return (
    <>
      After saving, tools use <code>VAULT_AGENT_ADDR={vaultAgentAddr(typed)}</code>, no token needed.
      {isSharedListener(typed) && (
        <>
          {' '}
          <SharedWarning />
        </>
      )}
    </>
  );
}

export function SharedWarning() {
  return (
    <strong className="warn-text" data-testid="agent-shared-warning">
      Every local user on this computer can use your Vault session through a TCP address; a unix socket is private to
      you.
    </strong>
  );
}
