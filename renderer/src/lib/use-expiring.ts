// A status line that has been read does not stay forever: a confirmation ("Opened …", "Saved")
// goes away after a while. Errors are not passed here — they stay until the next action.
import { useEffect, useState } from 'react';

/** How long a confirmation stays on screen. */
export const STATUS_MS = 10_000;

/** `value` until `ms` after it last changed (by identity), then null. */
export function useExpiring<T>(value: T | null, ms = STATUS_MS): T | null {
  const [expired, setExpired] = useState<T | null>(null);
  useEffect(() => {
    if (value === null) return;
    const timer = setTimeout(() => setExpired(() => value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return value !== null && expired !== value ? value : null;
}
