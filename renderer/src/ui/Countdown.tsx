// "expires in 42m 10s", ticking on the local clock.
import { formatDuration } from '../lib/format';
import { useNow } from '../lib/use-now';

export function Countdown({ until, prefix = 'expires in' }: { until: string; prefix?: string }) {
  const now = useNow();
  const end = Date.parse(until);
  if (Number.isNaN(end)) return null;
  const left = end - now;
  return (
    <time className="countdown" dateTime={until} title={new Date(end).toLocaleString()}>
      {left > 0 ? `${prefix} ${formatDuration(left)}` : 'expired'}
    </time>
  );
}
