/**
 * What replicas of one fleet tell each other outside the stores' own records: today, that a
 * replica reloaded its policy bundle (so the others reload theirs). Delivery is best effort
 * and only of what was said after a replica subscribed; nothing of security depends on it
 * arriving (a replica that missed a reload keeps deciding with its bundle, and every
 * decision records the policy version it used).
 */
export type FleetMessage = { kind: 'policy.reloaded'; version: string; from: string };

export interface FleetChannel {
  /** Sends to every subscribed replica (this one included; receivers ignore their own `from`). */
  announce(message: FleetMessage): Promise<void>;
  /** Receives messages until closed; reconnects by itself when the channel drops. */
  subscribe(onMessage: (message: FleetMessage) => void, onFault?: (error: unknown) => void): Promise<{ close(): Promise<void> }>;
}

/** Parses a received payload; null for anything that is not a well-formed message. */
export function parseFleetMessage(payload: string | undefined): FleetMessage | null {
  if (payload === undefined) return null;
  try {
    const m = JSON.parse(payload) as Record<string, unknown>;
    if (m.kind === 'policy.reloaded' && typeof m.version === 'string' && typeof m.from === 'string' && m.version.length <= 200 && m.from.length <= 100) {
      return { kind: 'policy.reloaded', version: m.version, from: m.from };
    }
  } catch {
    // not JSON: ignored
  }
  return null;
}
