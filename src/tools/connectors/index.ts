/**
 * Connectors: how the pipeline reaches a tool. createConnector builds one from a tool's
 * ConnectorSpec; configuration mistakes (unknown handler, bad URL template or headers)
 * are raised here, at construction, never at call time.
 */
import { AirlockError } from '../../core/errors.ts';
import type { Connector, ConnectorSpec } from '../../core/types.ts';
import { FunctionConnector } from './function.ts';
import type { HttpConnectorOptions } from './http.ts';
import { HttpConnector } from './http.ts';
import type { ToolHandler } from './types.ts';

export interface ConnectorOptions extends HttpConnectorOptions {
  handlers?: Record<string, ToolHandler>;
}

export function createConnector(spec: ConnectorSpec, options: ConnectorOptions = {}): Connector {
  switch (spec.type) {
    case 'function':
      return new FunctionConnector(spec.handler, options.handlers ?? {});
    case 'http':
      return new HttpConnector(spec, options);
    case 'mcp':
      throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'mcp connectors are provided by the mcp hub', { status: 500 });
    default:
      throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'unknown connector type', { status: 500 });
  }
}

export { FunctionConnector } from './function.ts';
export { HttpConnector, UPSTREAM_EXCERPT_CHARS } from './http.ts';
export type { HttpConnectorOptions, HttpConnectorSpec } from './http.ts';
export { executeWithTimeout } from './timeout.ts';
export { parseUrlTemplate } from './url-template.ts';
export type { UrlTemplate } from './url-template.ts';
export type { CredentialHeaderHook, ToolHandler, ToolHandlerContext } from './types.ts';
