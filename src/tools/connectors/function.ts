/**
 * FunctionConnector: runs an in-process handler registered by name. The handler gets a
 * private copy of the arguments and the call's signal; its result must be plain JSON.
 * An unknown handler name is a configuration error raised at construction.
 */
import type { JsonValue } from '../../core/canonical.ts';
import { AirlockError } from '../../core/errors.ts';
import type { Connector, ConnectorCall } from '../../core/types.ts';
import { toPlainJson } from '../json.ts';
import { abortError } from './abort.ts';
import type { ToolHandler } from './types.ts';

export class FunctionConnector implements Connector {
  readonly #name: string;
  readonly #handler: ToolHandler;

  constructor(handlerName: string, handlers: Record<string, ToolHandler>) {
    const handler = Object.hasOwn(handlers, handlerName) ? handlers[handlerName] : undefined;
    if (typeof handler !== 'function') {
      throw new AirlockError('ERR_TOOLS_HANDLER_UNKNOWN', `no tool handler named ${handlerName}`, {
        status: 500,
        details: { handler: handlerName },
      });
    }
    this.#name = handlerName;
    this.#handler = handler;
  }

  async execute(call: ConnectorCall): Promise<JsonValue> {
    const { signal } = call;
    if (signal.aborted) throw abortError(signal);
    let result: unknown;
    try {
      result = await this.#handler(structuredClone(call.arguments), {
        principal: call.principal,
        actionId: call.actionId,
        idempotencyKey: call.idempotencyKey,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (error instanceof AirlockError) throw error;
      throw new AirlockError('ERR_CONNECTOR_FAILED', `tool handler ${this.#name} failed`, { status: 502, cause: error });
    }
    const copied = toPlainJson(result);
    if (!copied.ok) {
      throw new AirlockError('ERR_CONNECTOR_RESPONSE', `tool handler ${this.#name} returned a value that is not json`, {
        status: 502,
        details: { errors: copied.errors },
      });
    }
    return copied.value;
  }
}
