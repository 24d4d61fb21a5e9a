/**
 * Connectors: how the pipeline reaches a tool. createConnector builds one from a tool's
 * ConnectorSpec; configuration mistakes (unknown handler, bad URL template or headers)
 * are raised here, at construction, never at call time.
 */
import { AirlockError } from '../../core/errors.ts';
import type { Connector, ConnectorSpec, EgressRuleConfig } from '../../core/types.ts';
import { compileEgressPolicy, DEFAULT_MAX_REDIRECTS } from '../egress/policy.ts';
import type { EgressPolicy } from '../egress/policy.ts';
import { FunctionConnector } from './function.ts';
import type { HttpConnectorOptions } from './http.ts';
import { HttpConnector } from './http.ts';
import { SandboxConnector } from './sandbox.ts';
import type { ToolHandler } from './types.ts';

export interface ConnectorOptions extends Omit<HttpConnectorOptions, 'egress'> {
  handlers?: Record<string, ToolHandler>;
  /** The global egress allowlist (config `egress`), used by HTTP connectors without their own list. Default: nothing reachable. */
  egress?: { allow: EgressRuleConfig[]; maxRedirects: number };
}

/** The egress policy of an HTTP connector: its own list, else the global one; a malformed rule is a configuration error. */
export function connectorEgressPolicy(spec: { egress?: EgressRuleConfig[] }, global: ConnectorOptions['egress']): EgressPolicy {
  try {
    return spec.egress !== undefined
      ? compileEgressPolicy(spec.egress, { maxRedirects: global?.maxRedirects ?? DEFAULT_MAX_REDIRECTS, idPrefix: 'connector.egress' })
      : compileEgressPolicy(global?.allow ?? [], { maxRedirects: global?.maxRedirects ?? DEFAULT_MAX_REDIRECTS });
  } catch (error) {
    throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', `egress allowlist: ${error instanceof Error ? error.message : 'invalid'}`, { status: 500, cause: error });
  }
}

export function createConnector(spec: ConnectorSpec, options: ConnectorOptions = {}): Connector {
  switch (spec.type) {
    case 'function':
      return new FunctionConnector(spec.handler, options.handlers ?? {});
    case 'http':
      return new HttpConnector(spec, { ...options, egress: connectorEgressPolicy(spec, options.egress) });
    case 'sandbox':
      return new SandboxConnector(spec);
    case 'mcp':
      throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'mcp connectors are provided by the mcp hub', { status: 500 });
    default:
      throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'unknown connector type', { status: 500 });
  }
}

export { FunctionConnector } from './function.ts';
export type { EgressPolicy } from '../egress/policy.ts';
export { HttpConnector, UPSTREAM_EXCERPT_CHARS } from './http.ts';
export { SandboxConnector } from './sandbox.ts';
export type { HttpConnectorOptions, HttpConnectorSpec } from './http.ts';
export { executeWithTimeout } from './timeout.ts';
export { parseUrlTemplate } from './url-template.ts';
export type { UrlTemplate } from './url-template.ts';
export type { CredentialHeaderHook, ToolHandler, ToolHandlerContext } from './types.ts';
