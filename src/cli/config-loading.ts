/**
 * Loading a config for a CLI command: friendly, line-pointing errors and exit code 2
 * for a bad file, instead of a stack trace.
 */
import { isAirlockError } from '../core/errors.ts';
import type { AirlockConfig } from '../config/types.ts';
import { formatConfigErrors, loadConfig } from '../config/index.ts';

export class CliExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export async function loadConfigOrExit(path: string): Promise<AirlockConfig> {
  try {
    return await loadConfig(path);
  } catch (error) {
    if (isAirlockError(error) && error.code.startsWith('ERR_CONFIG_')) {
      throw new CliExit(2, formatConfigErrors(error));
    }
    throw error;
  }
}
