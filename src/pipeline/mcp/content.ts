/**
 * Session content notification (hook). Resources and prompts read through the gateway run as
 * the gateway's own tools in the caller's session, so the pipeline's `inspect` phase already
 * registers them as session content at the upstream's trust (argument provenance sees them).
 * The MCP doors also hand each one to `registerSessionContent`, for deployments that index
 * such content elsewhere; the default sink does nothing.
 */
import type { JsonValue } from '../../core/canonical.ts';
import { canonicalHash } from '../../core/canonical.ts';

export interface SessionContent {
  session_id: string | null;
  principal: { user: string; tenant: string };
  /** `mcp:<upstream prefix>`. */
  source: string;
  kind: 'resource' | 'prompt';
  /** Resource URI or upstream prompt name. */
  ref: string;
  trust: 'trusted' | 'untrusted';
  /** Canonical hash of the whole result as returned to the caller. */
  content_hash: string;
  /** The text parts of the result (what a model would read). */
  texts: string[];
  request_id: string;
  action_id: string;
}

export type SessionContentSink = (content: SessionContent) => void | Promise<void>;

/** Default sink: nothing is registered (see the header). */
export const noSessionContent: SessionContentSink = () => undefined;

/** Every `text` string in a resources/read or prompts/get result. */
export function textsOf(result: JsonValue): string[] {
  const out: string[] = [];
  const walk = (value: JsonValue, depth: number) => {
    if (depth > 8 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    if (typeof value.text === 'string') out.push(value.text);
    for (const [key, child] of Object.entries(value)) if (key !== 'text') walk(child, depth + 1);
  };
  walk(result, 0);
  return out;
}

export function contentHash(result: JsonValue): string {
  return canonicalHash(result);
}
