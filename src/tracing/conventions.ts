/**
 * The span and attribute names the gateway writes. Where OpenTelemetry's semantic conventions
 * name a thing (GenAI `execute_tool` spans, MCP `tools/call` spans, errors, HTTP clients),
 * their names are used; the incubating conventions are copied here rather than imported, as
 * OpenTelemetry recommends. Everything else is under `airlock.`.
 */
export const ATTR = {
  // GenAI (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/#execute-tool-span)
  genAiOperationName: 'gen_ai.operation.name',
  genAiToolName: 'gen_ai.tool.name',
  genAiToolCallId: 'gen_ai.tool.call.id',
  genAiToolType: 'gen_ai.tool.type',
  // MCP (https://opentelemetry.io/docs/specs/semconv/gen-ai/mcp/)
  mcpMethodName: 'mcp.method.name',
  mcpSessionId: 'mcp.session.id',
  // General
  errorType: 'error.type',
  // The gateway's own
  mode: 'airlock.mode',
  door: 'airlock.door',
  requestId: 'airlock.request_id',
  actionId: 'airlock.action_id',
  decisionId: 'airlock.decision_id',
  auditTraceId: 'airlock.trace_id',
  sessionId: 'airlock.session_id',
  tenant: 'airlock.tenant',
  agent: 'airlock.agent',
  outcome: 'airlock.decision.outcome',
  code: 'airlock.decision.code',
  rule: 'airlock.decision.rule',
  phase: 'airlock.phase',
  connector: 'airlock.connector',
} as const;

export const GEN_AI_EXECUTE_TOOL = 'execute_tool';
export const MCP_TOOLS_CALL = 'tools/call';
