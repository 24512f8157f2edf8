// The first time the window's close button only hides it, the tray says so: a desktop user
// expects "close" to quit, and otherwise wonders why psql still connects. Said once per user
// (a flag file in userData), not at every close.
import { existsSync, writeFileSync } from 'node:fs';

export const TRAY_HINT = {
  title: 'Sesame is still running',
  body: 'Your connections stay open in the tray. Quit from the tray menu to stop them.',
};

export function createTrayHint(options: {
  flagFile: string;
  notify(title: string, body: string): void;
  onError?(error: unknown): void;
}): () => void {
  let shown = existsSync(options.flagFile);
  return () => {
    if (shown) return;
    shown = true;
    options.notify(TRAY_HINT.title, TRAY_HINT.body);
    try {
      writeFileSync(options.flagFile, `${new Date().toISOString()}\n`, { mode: 0o600 });
    } catch (error) {
      options.onError?.(error);
    }
  };
}
