/**
 * How long a tool call can stay in the execute phase: the attempts it makes (retries only for
 * an idempotent tool) and the pauses between them. Shared by execute (which runs them) and the
 * idempotency claim (whose lease must outlast them: a live call never reads as an unknown outcome).
 */

/** Pause before attempt n+1 is n times this. */
export const RETRY_PAUSE_MS = 25;

/** How many times a call of the tool reaches its connector at most (1 + its retries, when idempotent). */
export const attemptsOf = (tool: { idempotent: boolean; retries?: number }): number => 1 + (tool.idempotent ? (tool.retries ?? 0) : 0);

/** The longest the execute phase can take for the tool: every attempt to its deadline, and the pauses between them. */
export function executionBoundMs(tool: { idempotent: boolean; retries?: number; timeoutMs: number }): number {
  const attempts = attemptsOf(tool);
  return attempts * tool.timeoutMs + (RETRY_PAUSE_MS * (attempts - 1) * attempts) / 2;
}
