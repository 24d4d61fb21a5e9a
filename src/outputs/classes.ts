/**
 * The four output classes (seed control layer 4), least to most restrictive: informational
 * only, a recommendation that needs the user's confirmation, an action request that needs
 * policy approval, and blocked output. Each has an owner and an escalation path (config).
 */
export const OUTPUT_CLASSES = ['informational', 'needs_confirmation', 'needs_approval', 'blocked'] as const;
export type OutputClass = (typeof OUTPUT_CLASSES)[number];

export function isOutputClass(value: unknown): value is OutputClass {
  return typeof value === 'string' && (OUTPUT_CLASSES as readonly string[]).includes(value);
}

/** The more restrictive of two classes. */
export function stricter(a: OutputClass, b: OutputClass): OutputClass {
  return OUTPUT_CLASSES.indexOf(a) >= OUTPUT_CLASSES.indexOf(b) ? a : b;
}

/** Who owns outputs of a class and whom to escalate to, in order. */
export interface OutputClassRoute {
  owner: string;
  escalation: string[];
}
