// Serves the renderer build (Vite's index.html + hashed assets) from one directory, never a
// byte outside it, with the security headers every page of the bridge carries.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Headers on every response: a strict CSP, no framing, no sniffing, no referrer. */
export function securityHeaders(origin: string): Record<string, string> {
  const websocketOrigin = origin.replace(/^http:/, 'ws:');
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'", // xterm.js positions its rows with inline styles
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self' ${websocketOrigin}`,
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

export interface StaticFiles {
  /** Answer a GET/HEAD for `pathname`; false when no such file exists (caller answers 404). */
  serve(pathname: string, response: ServerResponse, headOnly: boolean): Promise<boolean>;
}

export async function createStaticFiles(staticDir: string): Promise<StaticFiles> {
  const root = path.resolve(staticDir);
  const index = await stat(path.join(root, 'index.html')).catch(() => undefined);
  if (!index?.isFile()) {
    throw new Error(
      `The renderer build is missing: ${path.join(root, 'index.html')} does not exist. Build it with \`npm run build\`.`,
    );
  }

  async function serve(pathname: string, response: ServerResponse, headOnly: boolean): Promise<boolean> {
    const file = resolveInside(root, pathname === '/' ? '/index.html' : pathname);
    if (!file) return false;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return false;
    const hashedAsset = pathname.startsWith('/assets/');
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      // Vite puts a content hash in asset names; index.html must always be fresh.
      'Cache-Control': hashedAsset ? 'private, max-age=31536000, immutable' : 'no-store',
    });
    if (headOnly) {
      response.end();
      return true;
    }
    // A client that goes away mid-file just ends the stream; there is no one left to answer.
    await pipeline(createReadStream(file), response).catch(() => response.destroy());
    return true;
  }

  return { serve };
}

/** The file a URL path names inside `root`, or undefined for anything that would escape it. */
export function resolveInside(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const file = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  // Dotfiles are never part of a Vite build.
  if (
    path
      .relative(root, file)
      .split(path.sep)
      .some((part) => part.startsWith('.'))
  )
    return undefined;
  return file;
}
