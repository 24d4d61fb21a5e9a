/** HTTP door: the v1 API over a Gateway. */
export { createApp } from './app.ts';
export { openApiDocument } from './openapi.ts';
export { httpsOptions, startServer } from './serve.ts';
export type { RunningServer } from './serve.ts';
export { mountMcp, rebindingProblem } from './mcp-http.ts';
export type { McpHttpOptions } from './mcp-http.ts';
export { APPROVAL_TOKEN_META, PARENT_ACTION_META, TRACE_META, createMcpDoorSession, refusalText } from './mcp-door.ts';
export type { McpDoorOptions, McpDoorSession } from './mcp-door.ts';
