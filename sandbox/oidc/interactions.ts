// The IdP's own pages: a login form people (and Playwright) can fill, and consent that is granted
// without a page because every client of this dev IdP is first-party.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction, Provider } from 'oidc-provider';
import type { UserDirectory } from './directory';

const MAX_FORM_BYTES = 16 * 1024;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:48px 16px}
main{max-width:360px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 28px;box-shadow:0 1px 3px #0003}
h1{font-size:1.3em;margin:0 0 4px}p.client{color:#555;margin:0 0 16px}label{display:block;margin:12px 0 4px;font-weight:600}
input{width:100%;box-sizing:border-box;padding:8px;font-size:1em}button{margin-top:18px;width:100%;padding:10px;font-size:1em;cursor:pointer}
p[role=alert]{color:#b00020;background:#fde7ea;padding:8px;border-radius:4px}a{display:block;margin-top:14px;text-align:center;color:#555}`;

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`);
}

function loginPage(res: ServerResponse, interaction: Interaction, opts: { error?: string; username?: string }): void {
  const uid = encodeURIComponent(interaction.uid);
  const clientId = String(interaction.params.client_id ?? '');
  const hint =
    opts.username ?? (typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : '');
  const alert = opts.error ? `<p role="alert">${escapeHtml(opts.error)}</p>` : '';
  page(
    res,
    opts.error ? 401 : 200,
    'Sign in - Sesame dev IdP',
    `<h1>Sign in</h1><p class="client">to continue to <strong>${escapeHtml(clientId)}</strong></p>${alert}
<form method="post" action="/interaction/${uid}/login" autocomplete="off">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required value="${escapeHtml(hint)}"${hint ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${hint ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form><a href="/interaction/${uid}/abort">Cancel</a>`,
  );
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      reject(new Error('the login form must be posted as application/x-www-form-urlencoded'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new Error(`the login form is larger than ${MAX_FORM_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** Grants what the client asked for (scopes and claims), extending an existing grant if any. */
async function grantConsent(provider: Provider, interaction: Interaction): Promise<string> {
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (!accountId || typeof clientId !== 'string') throw new Error('consent requested without a signed-in session');
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  if (typeof interaction.params.scope === 'string') grant.addOIDCScope(interaction.params.scope);
  const missingClaims = interaction.prompt.details.missingOIDCClaims;
  if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims.map(String));
  return grant.save();
}

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/;

export function isInteractionPath(pathname: string): boolean {
  return pathname.startsWith('/interaction/');
}

/** Handles /interaction/:uid (GET), /interaction/:uid/login (POST), /interaction/:uid/abort (GET). */
export function createInteractionHandler(provider: Provider, directory: UserDirectory) {
  return async function handleInteraction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://idp.invalid');
    const match = ROUTE.exec(pathname);
    const action = match?.[2] ?? '';
    const method = req.method ?? 'GET';
    if (!match || (action === '/login' ? method !== 'POST' : method !== 'GET')) {
      page(res, 404, 'Not found', '<h1>Not found</h1><p>No such page on this identity provider.</p>');
      return;
    }

    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch {
      page(
        res,
        400,
        'Sign-in expired',
        '<h1>This sign-in request has expired</h1><p>Start the login again from the application.</p>',
      );
      return;
    }
    if (interaction.uid !== match[1]) {
      page(
        res,
        400,
        'Sign-in mismatch',
        '<h1>This page belongs to another sign-in request</h1><p>Start the login again.</p>',
      );
      return;
    }

    if (action === '/abort') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (action === '/login') {
      let form: URLSearchParams;
      try {
        form = await readForm(req);
      } catch (err) {
        page(res, 400, 'Bad request', `<h1>Bad request</h1><p>${escapeHtml((err as Error).message)}</p>`);
        return;
      }
      const username = form.get('username') ?? '';
      const user = directory.authenticate(username, form.get('password') ?? '');
      if (!user) {
        loginPage(res, interaction, { error: 'Invalid username or password.', username });
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: directory.accountIdOf(user) } },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    switch (interaction.prompt.name) {
      case 'login':
        loginPage(res, interaction, {});
        return;
      case 'consent': {
        const grantId = await grantConsent(provider, interaction);
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      default:
        page(res, 400, 'Unsupported', `<h1>Unsupported prompt</h1><p>${escapeHtml(interaction.prompt.name)}</p>`);
    }
  };
}
