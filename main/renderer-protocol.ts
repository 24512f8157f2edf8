// The production renderer is served from out/renderer through a private scheme
// (sesame-app://renderer/…) instead of file://: the page gets a real origin (so 'self' in the
// CSP and the IPC sender check mean exactly our files), every response carries the CSP
// header, and no path can reach outside the renderer directory.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export const RENDERER_SCHEME = 'sesame-app';
export const RENDERER_HOST = 'renderer';
export const RENDERER_ORIGIN = `${RENDERER_SCHEME}://${RENDERER_HOST}`;

/** The privileges the scheme is registered with (before the app is ready). */
export const RENDERER_SCHEME_PRIVILEGES = {
  scheme: RENDERER_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
} as const;

/**
 * The policy for the renderer. Scripts only from our own origin; no eval, no plugins, no
 * frames, no forms, nothing remote. Inline styles are allowed because React style props and
 * xterm.js set them; inline scripts are not. A dev server origin (Vite) is let in for its
 * module scripts and hot-reload socket, only when running from source.
 */
export function contentSecurityPolicy(options: { devServer?: string } = {}): string {
  const dev = options.devServer ? new URL(options.devServer) : undefined;
  const devSocket = dev ? ` ${dev.protocol === 'https:' ? 'wss:' : 'ws:'}//${dev.host}` : '';
  return [
    "default-src 'none'",
    // Vite's React refresh preamble is an inline script: allowed in dev only.
    `script-src 'self'${dev ? " 'unsafe-inline'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${devSocket}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "object-src 'none'",
  ].join('; ');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/**
 * The file under `root` a renderer URL names, or undefined when it names none: another
 * scheme or host, an encoded separator, or a path that would climb out of `root`. Paths
 * without an extension are the single-page app's routes and get index.html.
 */
export function rendererFileFor(root: string, rawUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== `${RENDERER_SCHEME}:` || url.host !== RENDERER_HOST) return undefined;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return undefined;
  const segments = pathname.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, ...segments);
  if (file !== base && !file.startsWith(base + path.sep)) return undefined;
  if (segments.length === 0 || !path.extname(file)) return path.join(base, 'index.html');
  return file;
}

const notFound = (csp: string) =>
  new Response('Not found', {
    status: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': csp },
  });

/** The handler for `protocol.handle(RENDERER_SCHEME, …)`: files from `root`, each with the CSP. */
export function createRendererRequestHandler(root: string, csp: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Method not allowed', { status: 405, headers: { 'content-security-policy': csp } });
    }
    const file = rendererFileFor(root, request.url);
    if (!file) return notFound(csp);
    try {
      if (!(await stat(file)).isFile()) return notFound(csp);
      const body = await readFile(file);
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
        status: 200,
        headers: {
          'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-security-policy': csp,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        },
      });
    } catch {
      return notFound(csp);
    }
  };
}
