/**
 * The library example's tools (`handlers_module` of airlock.yaml, loaded by `loadToolkit`):
 * in-process implementations over a tiny invoice book. The gateway has checked identity,
 * schema and policy, and recorded the call's intent, before any of these runs.
 */
import type { ToolHandler } from '@airlock-gateway/airlock';

const invoices: Record<string, { supplier: string; amount: number; iban: string; paid: boolean }> = {
  inv_7: { supplier: 'Bolt Supplies', amount: 120, iban: 'DE44500105175407324931', paid: false },
};

export const handlers: Record<string, ToolHandler> = {
  'invoices.get': async ({ invoice_id }) => {
    const invoice = invoices[String(invoice_id)];
    return invoice === undefined ? { found: false } : { found: true, invoice_id: String(invoice_id), ...invoice };
  },
  'payments.send': async ({ invoice_id, iban, amount }, { actionId }) => {
    const invoice = invoices[String(invoice_id)];
    if (invoice === undefined) throw new Error('no such invoice');
    invoice.paid = true;
    return { payment_id: `pay_${actionId.slice(-8)}`, invoice_id: String(invoice_id), iban: String(iban), amount: Number(amount) };
  },
};
