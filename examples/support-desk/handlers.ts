/**
 * The support-desk demo's tools: real in-process implementations over a small seeded
 * data set (data.json). Each tool acts inside the caller's tenant; the gateway has
 * already checked tenant binding and policy before any of these runs.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../../src/core/canonical.ts';
import type { Principal } from '../../src/core/types.ts';
import type { CountResolver, ResourceResolver, ToolHandler } from '../../src/tools/index.ts';

interface Customer {
  id: string;
  tenant: string;
  name: string;
  email: string;
  plan: string;
  paid_total: number;
  refunded_total: number;
}

interface Seed {
  tenants: Record<string, { name: string; email_domain: string }>;
  customers: Customer[];
}

export interface SentEmail {
  message_id: string;
  tenant: string;
  from_user: string;
  to: string;
  subject: string;
  body_chars: number;
  sent_at: string;
}

export interface Refund {
  refund_id: string;
  tenant: string;
  customer_id: string;
  amount: number;
  issued_by: string;
  issued_at: string;
}

/** A demo data set: the seeded customers plus the mail outbox and the refund ledger. */
export class SupportDesk {
  readonly customers: Map<string, Customer>;
  readonly tenants: Seed['tenants'];
  readonly outbox: SentEmail[] = [];
  readonly refunds: Refund[] = [];

  constructor(seed: Seed = JSON.parse(readFileSync(new URL('./data.json', import.meta.url), 'utf8')) as Seed) {
    this.tenants = seed.tenants;
    this.customers = new Map(seed.customers.map((c) => [c.id, { ...c }]));
  }

  customerOf(tenant: string, id: string): Customer {
    const customer = this.customers.get(id);
    // The gateway refuses cross-tenant targets first; this is the tool's own guard.
    if (customer === undefined || customer.tenant !== tenant) throw new Error('customer not found');
    return customer;
  }

  publicView(c: Customer): { [key: string]: JsonValue } {
    return {
      id: c.id,
      name: c.name,
      email: c.email,
      plan: c.plan,
      paid_total: c.paid_total,
      refunded_total: c.refunded_total,
    };
  }

  handlers(): Record<string, ToolHandler> {
    return {
      'crm.getCustomer': async (args, ctx) => this.publicView(this.customerOf(ctx.principal.tenant, String(args.customer_id))),
      'crm.exportCustomers': async (_args, ctx) => {
        const rows = [...this.customers.values()].filter((c) => c.tenant === ctx.principal.tenant).map((c) => this.publicView(c));
        return { count: rows.length, customers: rows };
      },
      'email.send': async (args, ctx) => {
        const email: SentEmail = {
          message_id: `msg_${randomUUID()}`,
          tenant: ctx.principal.tenant,
          from_user: ctx.principal.user,
          to: String(args.to),
          subject: String(args.subject),
          body_chars: String(args.body).length,
          sent_at: new Date().toISOString(),
        };
        this.outbox.push(email);
        return { message_id: email.message_id, accepted: [email.to] };
      },
      'billing.refund': async (args, ctx) => {
        const customer = this.customerOf(ctx.principal.tenant, String(args.customer_id));
        const amount = Number(args.amount);
        const refundable = customer.paid_total - customer.refunded_total;
        if (!(amount > 0) || amount > refundable) {
          throw new Error(`refund of ${amount} exceeds the refundable balance`);
        }
        customer.refunded_total = Math.round((customer.refunded_total + amount) * 100) / 100;
        const refund: Refund = {
          refund_id: `rf_${randomUUID()}`,
          tenant: ctx.principal.tenant,
          customer_id: customer.id,
          amount,
          issued_by: ctx.principal.user,
          issued_at: new Date().toISOString(),
        };
        this.refunds.push(refund);
        return { refund_id: refund.refund_id, customer_id: customer.id, amount, refundable_left: refundable - amount };
      },
    };
  }

  resolvers(): { resources: Record<string, ResourceResolver>; counts: Record<string, CountResolver> } {
    return {
      resources: {
        'crm.customerOwner': async (id: string) => {
          const customer = this.customers.get(id);
          return customer === undefined ? null : { tenant: customer.tenant, attributes: { plan: customer.plan } };
        },
      },
      counts: {
        'crm.tenantCustomerCount': async (_args: Record<string, JsonValue>, principal: Principal) =>
          [...this.customers.values()].filter((c) => c.tenant === principal.tenant).length,
      },
    };
  }
}

/** What `handlers_module` exports: a fresh demo data set's handlers and resolvers. */
export function createToolkit(): {
  handlers: Record<string, ToolHandler>;
  resolvers: { resources: Record<string, ResourceResolver>; counts: Record<string, CountResolver> };
  desk: SupportDesk;
} {
  const desk = new SupportDesk();
  return { handlers: desk.handlers(), resolvers: desk.resolvers(), desk };
}
