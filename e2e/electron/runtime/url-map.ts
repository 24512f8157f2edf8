// Chromium without Electron cannot load a custom scheme such as sesame-app://, so each
// registered scheme gets a stand-in https origin that the stand-in serves through the app's
// own protocol handler: `sesame-app://renderer/x` ⇄ `https://renderer.sesame-app.test/x`.
// The page sees a secure origin of its own, as a privileged standard scheme gives it in
// Electron; the main process sees only sesame-app:// URLs, in both directions.
const SUFFIX = '.test';

export function toWebUrl(url: string, schemes: ReadonlySet<string>): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!match || !schemes.has(match[1]!.toLowerCase())) return url;
  return `https://${match[2]}.${match[1]!.toLowerCase()}${SUFFIX}${match[3] || '/'}`;
}

export function fromWebUrl(url: string, schemes: ReadonlySet<string>): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.protocol !== 'https:' || !parsed.hostname.endsWith(SUFFIX)) return url;
  const labels = parsed.hostname.slice(0, -SUFFIX.length).split('.');
  const scheme = labels.pop();
  if (!scheme || !schemes.has(scheme) || labels.length === 0) return url;
  return `${scheme}://${labels.join('.')}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

/** The route pattern that catches every stand-in origin of `scheme`. */
export function webPattern(scheme: string): RegExp {
  return new RegExp(`^https://[^/]+\\.${scheme.replace(/[.+-]/g, '\\$&')}\\${SUFFIX}(/|$)`);
}
