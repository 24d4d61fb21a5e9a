/**
 * Sessions for the fleet benchmark's callers. The demo's policy forbids a session more than
 * 50 records read in 10 minutes (every allowed crm.getCustomer, decided or executed, counts
 * one), so each session serves at most USES_PER_SESSION calls and then its caller moves on
 * to a fresh one: sessions are made ahead of time (`prepare`), outside any measured interval;
 * should the stock run out, a caller makes one on the spot (and `madeDuringRun` counts it).
 */
import type { Gateway } from '../src/pipeline/index.ts';

export const USES_PER_SESSION = 45;
const CUSTOMERS = ['cus_acme_ada', 'cus_acme_grace', 'cus_acme_alan', 'cus_acme_barbara'];

interface Slot {
  id: string;
  customer: string;
  uses: number;
}

export class BenchSessions {
  readonly #gateway: Gateway;
  readonly #token: string;
  readonly #stock: Slot[] = [];
  readonly #current: (Slot | undefined)[] = [];
  #made = 0;
  madeDuringRun = 0;
  measuring = false;

  constructor(gateway: Gateway, token: string) {
    this.#gateway = gateway;
    this.#token = token;
  }

  async #make(): Promise<Slot> {
    const customer = CUSTOMERS[this.#made++ % CUSTOMERS.length] as string;
    const { session_id } = await this.#gateway.createSession(this.#token, { ticket_id: `t-${this.#made}`, customer_id: customer, customer_email: 'x@acme.test' });
    return { id: session_id, customer, uses: 0 };
  }

  /** Makes sessions enough for `calls` more calls (`parallel` at a time). */
  async prepare(calls: number, parallel = 16): Promise<void> {
    const needed = Math.ceil(calls / USES_PER_SESSION) - this.#stock.length;
    let left = needed;
    await Promise.all(
      Array.from({ length: Math.max(0, Math.min(parallel, needed)) }, async () => {
        while (left-- > 0) this.#stock.push(await this.#make());
      }),
    );
  }

  /** The request of caller `w`'s next call. */
  async next(w: number): Promise<{ token: string; session_id: string; tool: string; arguments: { customer_id: string } }> {
    let slot = this.#current[w];
    if (slot === undefined || slot.uses >= USES_PER_SESSION) {
      slot = this.#stock.pop();
      if (slot === undefined) {
        if (this.measuring) this.madeDuringRun++;
        slot = await this.#make();
      }
      this.#current[w] = slot;
    }
    slot.uses++;
    return { token: this.#token, session_id: slot.id, tool: 'crm.getCustomer', arguments: { customer_id: slot.customer } };
  }
}
