/**
 * Test helpers for the policy module: small fake tools, principals and authorization
 * requests. Used by the policy tests and the authorize benchmark; not exported from index.
 */
import type { JsonValue } from '../core/canonical.ts';
import type {
  AuthorizationRequest,
  JsonSchema,
  Principal,
  RegisteredTool,
  SideEffectClass,
} from '../core/types.ts';

export function fakeTool(name: string, sideEffect: SideEffectClass, inputSchema: JsonSchema = { type: 'object', properties: {} }): RegisteredTool {
  return {
    name,
    description: `fake ${name}`,
    inputSchema,
    sideEffect,
    tenantBinding: 'principal',
    idempotent: sideEffect === 'read' || sideEffect === 'none',
    timeoutMs: 1000,
    connector: { type: 'function', handler: name },
    version: `v-${name}`,
  };
}

export function fakePrincipal(overrides: Partial<Principal> = {}): Principal {
  return {
    user: 'alice',
    tenant: 'acme',
    roles: ['analyst'],
    delegation: [],
    issuer: 'https://issuer.test',
    ...overrides,
  };
}

export interface RequestOverrides {
  principal?: Partial<Principal>;
  arguments?: Record<string, JsonValue>;
  affectedCount?: number;
  intent?: string;
  sessionAttributes?: Record<string, JsonValue>;
  now?: number;
  resource?: Partial<AuthorizationRequest['resource']>;
  /** The session's declared target scope (absent: none declared). */
  scope?: AuthorizationRequest['scope'];
}

export function fakeRequest(tool: RegisteredTool, o: RequestOverrides = {}): AuthorizationRequest {
  const request: AuthorizationRequest = {
    principal: fakePrincipal(o.principal),
    tool,
    arguments: o.arguments ?? {},
    resource: { type: 'Customer', id: null, tenant: null, exists: false, attributes: {}, ...o.resource },
    affectedCount: o.affectedCount ?? 1,
    session: {
      id: 'ses_test',
      attributes: o.sessionAttributes ?? {},
      callCount: 0,
      toolCallCount: 0,
      recordsReadLast10m: 0,
    },
    environment: { now: o.now ?? Date.UTC(2026, 0, 5, 10, 30) },
  };
  if (o.intent !== undefined) request.intent = o.intent;
  if (o.scope !== undefined) request.scope = o.scope;
  return request;
}
