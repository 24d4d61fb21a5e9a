/**
 * An error as a door may log it: a copy whose message, stack, details and causes have every
 * credential-looking word redacted (the patterns of tools/secrets.ts). A third party's error
 * (a driver's, an SDK's) may quote what it was sent or answered; the log must not carry a
 * credential that happens to be in it.
 */
import { redactError } from '../core/redact-error.ts';
import { REDACTED, redactSecretsInText } from '../tools/index.ts';

export function loggableError(error: unknown): unknown {
  return redactError(error, (text) => redactSecretsInText(text, REDACTED));
}
