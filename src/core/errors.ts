/**
 * Typed errors with stable codes. Every fault Airlock raises is an AirlockError whose
 * `code` is `ERR_<AREA>_<REASON>`; messages are lowercase and never contain secrets.
 * Decisions (allow / deny / approval_required) are values, not errors: errors are for
 * faults and malformed input.
 */

export type ErrorCode = `ERR_${string}`;

export interface AirlockErrorOptions {
  cause?: unknown;
  /** HTTP status a door should answer with when this error reaches it. */
  status?: number;
  /** Extra machine-readable detail (never secrets). */
  details?: Record<string, unknown>;
}

export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AirlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AirlockError';
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAirlockError(value: unknown): value is AirlockError {
  return value instanceof AirlockError;
}

/** Wraps any thrown value so callers always see a code. */
export function toAirlockError(value: unknown, fallback: ErrorCode = 'ERR_INTERNAL'): AirlockError {
  if (value instanceof AirlockError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new AirlockError(fallback, message.toLowerCase(), { cause: value });
}

/** A module's stable error codes with their HTTP status and fixed (secret-free) message. */
export type ErrorTable = Record<ErrorCode, { status: number; message: string }>;

/** Builds the AirlockError for `code` from a module's error table. */
export function errorFrom<T extends ErrorTable>(table: T, code: keyof T & ErrorCode, details?: Record<string, unknown>, cause?: unknown): AirlockError {
  const { status, message } = table[code] as { status: number; message: string };
  return new AirlockError(code, message, { status, ...(details === undefined ? {} : { details }), ...(cause === undefined ? {} : { cause }) });
}
