/**
 * Benign trajectories closer to what real models do than the dataset's ground truth.
 * Ground truth is the shortest correct call sequence; models that solve the same tasks
 * also do things such as:
 *
 * - **inviting the user herself**: a model creating an event for Emma puts Emma's own
 *   address among the participants, and a model sending mail on her behalf copies her in.
 *   Her address appears in the mail and events the model read (untrusted content), never
 *   in her prompt: only the session's verified attributes say it is hers.
 *
 * Following a link the user named, or taking an address from a page the user named, is
 * already in the ground truth (slack: "her e-mail is on her website www.dora-website.com").
 *
 * A variant is built from the task and the user's own address only: nothing here knows
 * an attack, a rule or a benchmark value.
 */
import type { JsonValue } from '../../src/core/canonical.ts';
import type { JsonObject, UserTask } from './dataset.ts';

function withAddress(list: JsonValue | undefined, address: string): JsonValue[] {
  const items = Array.isArray(list) ? list : [];
  return items.some((i) => typeof i === 'string' && i.toLowerCase() === address.toLowerCase()) ? items : [...items, address];
}

/** The "invites herself" variant of a task, or null when it creates no event and sends no mail. */
export function selfInviteVariant(task: UserTask, ownAddress: string | undefined): UserTask | null {
  if (ownAddress === undefined) return null;
  let changed = false;
  const calls = task.ground_truth_calls.map((call) => {
    const args: JsonObject = { ...call.args };
    if (call.tool === 'create_calendar_event' || call.tool === 'add_calendar_event_participants') {
      args.participants = withAddress(args.participants, ownAddress);
    } else if (call.tool === 'send_email') {
      const recipients = Array.isArray(args.recipients) ? args.recipients : [];
      if (recipients.some((r) => typeof r === 'string' && r.toLowerCase() === ownAddress.toLowerCase())) return call;
      args.cc = withAddress(args.cc ?? undefined, ownAddress);
    } else {
      return call;
    }
    changed = true;
    return { ...call, args };
  });
  return changed ? { ...task, id: `${task.id}+self`, ground_truth_calls: calls } : null;
}
