// Short mode runs inside `npm test`; long mode (`HARDENING_LONG=1`, `npm run test:hardening`)
// raises every count and duration. Tests read sizes only through here.
export const LONG = process.env.HARDENING_LONG === '1';

/** The short-mode value, or the long-mode one under HARDENING_LONG=1. */
export function sized<T>(short: T, long: T): T {
  return LONG ? long : short;
}
