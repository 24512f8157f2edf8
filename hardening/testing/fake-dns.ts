// A name that is not this machine's, resolving to 127.0.0.1 inside this test process only: how a
// test plays "the database on another host" (and the attacker answering there) on a machine whose
// only network is loopback. Node's sockets look names up through dns.lookup at connect time, so
// wrapping it here reaches the broker running in-process; every other name resolves as before.
import dns from 'node:dns';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: unknown, family?: number) => void;

/** Makes `name` resolve to 127.0.0.1 until the returned function is called. */
export function resolveToLoopback(name: string): () => void {
  const original = dns.lookup;
  const replacement = function (this: unknown, ...args: unknown[]) {
    const [hostname, options, callback] = args as [string, unknown, LookupCallback | undefined];
    if (hostname !== name) return (original as (...a: unknown[]) => unknown).apply(this, args);
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    process.nextTick(() => (all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
  };
  (dns as { lookup: unknown }).lookup = replacement;
  return () => {
    (dns as { lookup: unknown }).lookup = original;
  };
}
