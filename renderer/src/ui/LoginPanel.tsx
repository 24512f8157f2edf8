// Log in to Vault: OIDC (the default), token, userpass or AppRole. The form checks its input
// against the contract's LoginInput before sending, and a refusal from the host comes back into
// the form, next to the field it names. Secrets live only in this component's state.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { LoginInput, type ApiError, type SessionView } from '../../../app/api';
import { useHostStore } from '../state/host';
import { WaitingClients } from './WaitingClients';
import { logIn } from '../state/session';
import { RefusalNotice } from './form';
import { useHostLink } from './host-context';
import { OidcWaiting } from './OidcWaiting';

type Method = 'oidc' | 'token' | 'userpass' | 'approle';
type FieldName = 'token' | 'username' | 'password' | 'roleId' | 'secretId' | 'role' | 'mount';
type Fields = Record<FieldName, string>;

const METHODS: { id: Method; label: string }[] = [
  { id: 'oidc', label: 'OIDC' },
  { id: 'token', label: 'Token' },
  { id: 'userpass', label: 'Username' },
  { id: 'approle', label: 'AppRole' },
];

const FIELD_LABELS: Record<FieldName, string> = {
  token: 'Vault token',
  username: 'Username',
  password: 'Password',
  roleId: 'Role ID',
  secretId: 'Secret ID',
  role: 'Role',
  mount: 'Mount path',
};

const EMPTY: Fields = { token: '', username: '', password: '', roleId: '', secretId: '', role: '', mount: '' };

function buildInput(method: Method, f: Fields): unknown {
  const mount = f.mount.trim() || undefined;
  switch (method) {
    case 'token':
      return { method, token: f.token.trim() };
    case 'userpass':
      return { method, username: f.username.trim(), password: f.password, mount };
    case 'approle':
      return { method, roleId: f.roleId.trim(), secretId: f.secretId.trim(), mount };
    case 'oidc':
      return { method, role: f.role.trim() || undefined, mount };
  }
}

/** Plain-words problems per field, or none when the input is ready to send. */
function check(input: unknown): { data?: LoginInput; problems: Partial<Record<FieldName, string>> } {
  const result = LoginInput.safeParse(input);
  if (result.success) return { data: result.data, problems: {} };
  const problems: Partial<Record<FieldName, string>> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '') as FieldName;
    if (!(field in FIELD_LABELS) || problems[field]) continue;
    const label = FIELD_LABELS[field];
    problems[field] =
      issue.code === 'too_small'
        ? `${label} is required.`
        : issue.code === 'too_big'
          ? `${label} is too long.`
          : `${label} is not valid.`;
  }
  return { problems };
}

/** Clients held for this login, if any: they connect once it succeeds. */
function waitingNotice(session: SessionView) {
  if (!session.waiting?.length) return null;
  return (
    <WaitingClients
      waiting={session.waiting}
      {...(session.holdsClientsForMs ? { holdMs: session.holdsClientsForMs } : {})}
    />
  );
}

export function LoginPanel({ session }: { session: SessionView }) {
  const link = useHostLink();
  const [method, setMethod] = useState<Method>('oidc');
  const [fields, setFields] = useState<Fields>(EMPTY);
  const [problems, setProblems] = useState<Partial<Record<FieldName, string>>>({});
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const id = useId();
  const demo = useHostStore((s) => s.info?.sandboxLogins);
  // The session's own error is shown until the user starts over (another method, another try).
  const [sessionErrorSeen, setSessionErrorSeen] = useState(false);
  // Shown after a logout (or at start, logged out): the keyboard starts here, not on <body>.
  const titleRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => titleRef.current?.focus(), []);

  if (session.state === 'logging-in' && session.pendingAuthUrl) {
    return <OidcWaiting url={session.pendingAuthUrl}>{waitingNotice(session)}</OidcWaiting>;
  }

  const update = (name: FieldName, value: string) => {
    setFields((f) => ({ ...f, [name]: value }));
    setProblems((p) => ({ ...p, [name]: undefined }));
  };

  const focusFirstProblem = () =>
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());

  async function submit(event: FormEvent) {
    event.preventDefault();
    setRefusal(null);
    setSessionErrorSeen(true);
    const { data, problems: found } = check(buildInput(method, fields));
    setProblems(found);
    if (!data) return focusFirstProblem();
    setSending(true);
    const error = await logIn(link, data);
    setSending(false);
    if (!error) return;
    if (error.field && error.field in FIELD_LABELS) {
      setProblems({ [error.field]: error.message });
      focusFirstProblem();
    } else {
      setRefusal(error);
    }
  }

  const field = (name: FieldName, options: { secret?: boolean; autoComplete?: string; optional?: string } = {}) => {
    const inputId = `${id}-${name}`;
    const problem = problems[name];
    return (
      <div className="field">
        <label htmlFor={inputId}>
          {FIELD_LABELS[name]}
          {options.optional && <span className="muted"> (optional)</span>}
        </label>
        <input
          id={inputId}
          name={name}
          type={options.secret ? 'password' : 'text'}
          value={fields[name]}
          placeholder={options.optional}
          autoComplete={options.autoComplete ?? 'off'}
          spellCheck={false}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${inputId}-problem` : undefined}
          onChange={(e) => update(name, e.target.value)}
        />
        {problem && (
          <p className="field-problem" id={`${inputId}-problem`}>
            {problem}
          </p>
        )}
      </div>
    );
  };

  // One message at a time: the refusal of this form's try, else the session's own problem.
  const sessionProblem =
    !refusal && !sessionErrorSeen && (session.state === 'error' || session.state === 'expired') && session.error;
  const userpassDemo = demo?.find((d) => d.method === 'userpass');
  const oidcDemo = demo?.find((d) => d.method === 'oidc');

  return (
    <section className="card login" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={titleRef} tabIndex={-1}>
        Log in to Vault
      </h2>
      <p className="muted">
        Vault at <code>{session.vaultAddress}</code>
        {session.namespace && (
          <>
            , namespace <code>{session.namespace}</code>
          </>
        )}
      </p>
      {waitingNotice(session)}
      {sessionProblem && (
        <p className="notice notice-bad" role="alert">
          {session.state === 'expired' ? 'Your Vault login has expired. ' : ''}
          {session.error}
        </p>
      )}
      <form ref={formRef} onSubmit={submit} noValidate>
        <fieldset className="segmented">
          <legend>Method</legend>
          {METHODS.map((m) => (
            <label key={m.id} className="segment">
              <input
                type="radio"
                name="method"
                value={m.id}
                checked={method === m.id}
                onChange={() => {
                  setMethod(m.id);
                  setProblems({});
                  setRefusal(null);
                  setSessionErrorSeen(true);
                }}
              />
              <span>{m.label}</span>
            </label>
          ))}
        </fieldset>

        {method === 'oidc' && (
          <>
            <p className="hint">Sesame opens your identity provider's sign-in page in your browser.</p>
            {field('role', { optional: 'the default role' })}
          </>
        )}
        {method === 'token' && field('token', { secret: true })}
        {method === 'userpass' && (
          <>
            {field('username', { autoComplete: 'username' })}
            {field('password', { secret: true, autoComplete: 'current-password' })}
          </>
        )}
        {method === 'approle' && (
          <>
            {field('roleId')}
            {field('secretId', { secret: true })}
          </>
        )}
        {method !== 'token' && (
          <details className="advanced" open={problems.mount ? true : undefined}>
            <summary>Advanced</summary>
            {field('mount', { optional: method })}
          </details>
        )}

        {demo && (
          <div className="notice notice-info" data-testid="sandbox-logins">
            <p>
              <strong>Built-in sandbox.</strong> Its demo logins (a throwaway Vault on this machine):
            </p>
            <ul>
              {userpassDemo && (
                <li>
                  Username <code>{userpassDemo.username}</code> / <code>{userpassDemo.password}</code>{' '}
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      setMethod('userpass');
                      setFields({ ...EMPTY, username: userpassDemo.username, password: userpassDemo.password });
                      setProblems({});
                      setRefusal(null);
                    }}
                  >
                    Fill in
                  </button>
                </li>
              )}
              {oidcDemo && (
                <li>
                  OIDC: sign in on the identity provider's page as <code>{oidcDemo.username}</code> /{' '}
                  <code>{oidcDemo.password}</code>
                </li>
              )}
            </ul>
          </div>
        )}
        <RefusalNotice error={refusal} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={sending}>
            {sending ? 'Logging in…' : method === 'oidc' ? 'Continue with OIDC' : 'Log in'}
          </button>
        </div>
      </form>
    </section>
  );
}
