/**
 * What an MCP door hands the connector for one `tools/call`, without widening the
 * pipeline's request: the caller's progress callback and cancellation signal, carried by
 * AsyncLocalStorage across the pipeline's awaits. Nothing here carries authority (identity
 * is the token in the request, verified by the pipeline).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface McpCallContext {
  /** Forwards upstream progress to the caller (set when the caller asked for progress). */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
  /** Aborted when the caller cancels the request. */
  signal?: AbortSignal;
}

const storage = new AsyncLocalStorage<McpCallContext>();

export function runWithMcpCallContext<T>(context: McpCallContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(context, fn);
}

export function currentMcpCallContext(): McpCallContext | undefined {
  return storage.getStore();
}
