/**
 * Event ids: `evt_` + the time in milliseconds (10 Crockford base-32 digits, so ids sort by
 * time) + 128 random bits (base64url). Time-ordered ids keep the event_id index append-only
 * (a random key would dirty a random index page on every insert); the random part keeps
 * them unguessable like every other Airlock id.
 */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function timePart(ms: number): string {
  let n = Math.max(0, Math.floor(ms));
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = (CROCKFORD[n % 32] as string) + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** `count` fresh event ids for events accepted at `ms`. */
export function newEventIds(count: number, ms: number): string[] {
  const prefix = `evt_${timePart(ms)}`;
  const random = randomBytes(16 * count);
  const ids: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) ids[i] = prefix + random.subarray(i * 16, i * 16 + 16).toString('base64url');
  return ids;
}
