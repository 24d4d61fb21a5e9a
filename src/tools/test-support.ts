/** Test fixtures for the tools module: a definition factory and a principal. */
import type { Principal, ToolDefinition } from '../core/types.ts';

export const alice: Principal = {
  user: 'alice',
  tenant: 'acme',
  roles: ['agent-operator'],
  delegation: [],
  issuer: 'https://idp.example',
};

export function toolDef(overrides: Partial<ToolDefinition> = {}): ToolDefinition {
  return {
    name: 'crm.getCustomer',
    description: 'read one customer',
    inputSchema: {
      type: 'object',
      properties: { customer_id: { type: 'string', minLength: 1 } },
      required: ['customer_id'],
    },
    sideEffect: 'read',
    tenantBinding: 'none',
    idempotent: true,
    timeoutMs: 1000,
    connector: { type: 'function', handler: 'getCustomer' },
    ...overrides,
  };
}
