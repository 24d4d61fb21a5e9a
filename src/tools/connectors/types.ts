/** Connector-side types: in-process tool handlers and the credential header hook. */
import type { JsonValue } from '../../core/canonical.ts';
import type { ConnectorCall, Principal } from '../../core/types.ts';

export interface ToolHandlerContext {
  principal: Principal;
  actionId: string;
  idempotencyKey: string;
  signal: AbortSignal;
}

export type ToolHandler = (args: Record<string, JsonValue>, ctx: ToolHandlerContext) => Promise<JsonValue>;

/** Supplies per-call credential headers (e.g. a just-in-time bearer token) to the HTTP connector. */
export type CredentialHeaderHook = (call: ConnectorCall) => Promise<Record<string, string>>;
