/** The MCP side of the pipeline: the upstream hub, createMcpGateway, operator tasks on pins, the call context and content hook. */
export { McpHub, PIN_RULE, UPSTREAM_RULE } from './hub.ts';
export type { HubChange, McpHubOptions, McpToolEntry } from './hub.ts';
export { createMcpGateway } from './gateway.ts';
export type { McpGateway, McpGatewayOptions } from './gateway.ts';
export { MCP_ADMIN_ROLES, openMcpPinAdmin } from './admin.ts';
export type { McpPinAdmin, PinView } from './admin.ts';
export { currentMcpCallContext, runWithMcpCallContext } from './call-context.ts';
export type { McpCallContext } from './call-context.ts';
export { contentHash, noSessionContent, textsOf } from './content.ts';
export type { SessionContent, SessionContentSink } from './content.ts';
export { sideEffectOf, toolDefinition } from './definitions.ts';
