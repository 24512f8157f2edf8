// How `sesame start --open` hands the browser its one-time link without putting the token on a
// command line (every local user can read /proc/*/cmdline, and spend it first): the link goes
// into a 0600 launcher page in a private directory, and the browser is asked to open that file —
// as Jupyter does. The page forwards to the link; it is deleted once the link has expired.
import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Platform } from '../app/platform';
import { TOKEN_LIFETIME_MS } from '../app/bridge/access';
import { writePrivateFile } from '../broker/private-files';

/** Where launcher pages go: $XDG_RUNTIME_DIR/sesame (the user's own), else a 0700 dir in /tmp. */
export function launcherDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'sesame');
  return path.join(os.tmpdir(), `sesame-${process.getuid?.() ?? 'user'}`);
}

export function launcherPage(link: string): string {
  const href = link.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${href}"><title>Opening Sesame…</title></head>
<body><p>Opening Sesame… If nothing happens, <a href="${href}">open it here</a>.</p></body></html>
`;
}

/** Open `link` in the user's browser through a private launcher page; resolves once asked. */
export async function openLinkInBrowser(
  link: string,
  platform: Pick<Platform, 'openExternal'>,
  options: { dir?: string; keepMs?: number } = {},
): Promise<{ file: string }> {
  const dir = options.dir ?? launcherDirectory();
  const file = path.join(dir, `open-${process.pid}-${Date.now()}.html`);
  await writePrivateFile(file, launcherPage(link));
  const cleanup = setTimeout(() => void rm(file, { force: true }), options.keepMs ?? TOKEN_LIFETIME_MS + 5_000);
  cleanup.unref();
  try {
    await platform.openExternal(pathToFileURL(file).href);
  } catch (error) {
    clearTimeout(cleanup);
    await rm(file, { force: true });
    throw error;
  }
  return { file };
}
