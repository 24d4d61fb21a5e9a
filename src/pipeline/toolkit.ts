/**
 * Loads a config's `handlers_module`: the in-process tool implementations and resolvers
 * that function connectors name. The module exports `createToolkit()` returning
 * `{ handlers, resolvers }`, or `handlers` and `resolvers` directly.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AirlockError } from '../core/errors.ts';
import type { AirlockConfig } from '../config/types.ts';
import type { GatewayOptions } from './gateway.ts';

export type Toolkit = Pick<GatewayOptions, 'handlers' | 'resolvers'>;

export async function loadToolkit(config: AirlockConfig): Promise<Toolkit> {
  if (config.handlersModule === undefined) return {};
  const path = resolve(config.baseDir, config.handlersModule);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new AirlockError('ERR_CONFIG_HANDLERS', `cannot load handlers_module ${config.handlersModule}`, { cause, status: 400 });
  }
  const made = typeof mod.createToolkit === 'function' ? ((mod.createToolkit as () => unknown)() as Record<string, unknown>) : mod;
  return {
    ...(made.handlers === undefined ? {} : { handlers: made.handlers as Toolkit['handlers'] }),
    ...(made.resolvers === undefined ? {} : { resolvers: made.resolvers as Toolkit['resolvers'] }),
  };
}
