/** Time left until an expiry, ticking every second; says "expired" once past. */
import { useEffect, useState } from 'preact/hooks';
import { duration, when } from '../format.ts';

export function Countdown({ until }: { until: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = (until - now) / 1000;
  return (
    <time dateTime={new Date(until).toISOString()} title={when(until)} class={left <= 60 ? 'countdown urgent' : 'countdown'}>
      {left <= 0 ? 'expired' : `expires in ${duration(left)}`}
    </time>
  );
}
