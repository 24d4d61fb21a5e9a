/** The runtime fixture's ledger as a handlers module (for `airlock` commands run as child processes). */
import { ledger } from './runtime.ts';

export function createToolkit() {
  return { handlers: ledger().handlers };
}
