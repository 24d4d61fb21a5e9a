/**
 * Tool sources: tools the gateway learns from outside its config — today the MCP hub's
 * upstream tools. A source hands createGateway its definitions and connectors, admits (or
 * refuses) each call of its tools at the resolve phase, and can ask the gateway to
 * re-register its definitions when they change: a new registry and a new Cedar engine are
 * built (the policy bundle validated against the new schema) and swapped in together; if
 * the bundle does not validate, the previous tool set stays.
 */
import type { Connector, RegisteredTool, ToolDefinition } from '../core/types.ts';
import type { AuditStore } from '../audit/index.ts';
import type { ToolRefusal } from './env.ts';

export interface ToolSourceHost {
  /** The gateway's durable audit log (the source records its own events there). */
  audit: AuditStore;
  /** Re-registers the source's current definitions (registry and policy engine swapped together). */
  refresh(): Promise<{ version: string }>;
  /** Names of the tools defined by the config itself (a source must not shadow them). */
  configTools: ReadonlySet<string>;
}

export interface ToolSource {
  /** Definitions to register beside the config's tools (connector type `mcp`). */
  definitions(): ToolDefinition[];
  connector(tool: RegisteredTool): Connector;
  /** Checked at resolve for every tool: null admits (also for tools the source does not own). */
  admit(tool: RegisteredTool): ToolRefusal | null | Promise<ToolRefusal | null>;
  /** Called once, when the gateway is built. */
  attach?(host: ToolSourceHost): void;
  /** Definitions waiting for review (their calls are refused meanwhile), for the metrics gauge. */
  pendingDefinitions?(): Promise<number>;
}
