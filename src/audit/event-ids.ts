/**
 * Event ids: `evt_` + the time in milliseconds + 128 random bits (core's time-ordered ids).
 * Time-ordered ids keep the event_id index append-only (a random key would dirty a random
 * index page on every insert); the random part keeps them unguessable like every other id.
 */
import { newTimeOrderedId } from '../core/ids.ts';

/** `count` fresh event ids for events accepted at `ms`. */
export function newEventIds(count: number, ms: number): string[] {
  const ids: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) ids[i] = newTimeOrderedId('evt', ms);
  return ids;
}
