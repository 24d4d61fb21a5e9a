/**
 * Resolver types: in-process, read-only functions the application registers by name to
 * tell who owns a resource and how many resources a call touches.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { Principal } from '../core/types.ts';

export type ResourceResolver = (
  id: string,
  principal: Principal,
) => Promise<{ tenant: string; attributes?: Record<string, JsonValue> } | null>;

export type CountResolver = (args: Record<string, JsonValue>, principal: Principal) => Promise<number>;

export interface ToolResolvers {
  resources: Record<string, ResourceResolver>;
  counts: Record<string, CountResolver>;
}
