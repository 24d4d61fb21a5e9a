/** SessionBudgetStore in this process's memory (one gateway; lost on restart). Synchronous under the hood: charges never interleave. */
import type { BudgetCharge, BudgetTotals, SessionBudgetStore } from './types.ts';
import { ZERO_TOTALS } from './types.ts';

interface Usage extends BudgetTotals {
  fingerprint: string | null;
}

export class MemorySessionBudgetStore implements SessionBudgetStore {
  readonly #sessions = new Map<string, Usage>();

  async charge(sessionId: string, charge: BudgetCharge, at: number): Promise<BudgetTotals> {
    void at;
    const u = this.#get(sessionId);
    u.steps += charge.steps;
    u.toolCalls += charge.toolCalls;
    u.spendMicros += charge.spendMicros;
    if (charge.fingerprint !== null) {
      u.identicalRun = u.fingerprint === charge.fingerprint ? u.identicalRun + 1 : 1;
      u.fingerprint = charge.fingerprint;
    }
    return totalsOf(u);
  }

  async recordDenial(sessionId: string, at: number): Promise<BudgetTotals> {
    void at;
    const u = this.#get(sessionId);
    u.denials += 1;
    return totalsOf(u);
  }

  async totals(sessionId: string): Promise<BudgetTotals> {
    const u = this.#sessions.get(sessionId);
    return u === undefined ? { ...ZERO_TOTALS } : totalsOf(u);
  }

  #get(sessionId: string): Usage {
    let u = this.#sessions.get(sessionId);
    if (u === undefined) {
      u = { ...ZERO_TOTALS, fingerprint: null };
      this.#sessions.set(sessionId, u);
    }
    return u;
  }
}

function totalsOf(u: Usage): BudgetTotals {
  return { steps: u.steps, toolCalls: u.toolCalls, spendMicros: u.spendMicros, identicalRun: u.identicalRun, denials: u.denials };
}
