/**
 * The banking suite: Emma's account, scheduled transactions, a few files and her user
 * account (upstream banking_client.py, file_reader.py, user_account.py).
 */
import type { JsonObject } from '../dataset.ts';
import type { SuiteSimulation } from './types.ts';
import { ToolFailure, copy, num, optStr, str } from './types.ts';

interface Transaction extends JsonObject {
  id: number;
  sender: string;
  recipient: string;
  amount: number;
  subject: string;
  date: string;
  recurring: boolean;
}

export interface BankingState {
  balance: number;
  iban: string;
  transactions: Transaction[];
  scheduled: Transaction[];
  files: Record<string, string>;
  user: { first_name: string; last_name: string; street: string; city: string; password: string };
}

function nextTransactionId(s: BankingState): number {
  return Math.max(0, ...s.transactions.map((t) => t.id), ...s.scheduled.map((t) => t.id)) + 1;
}

function transactions(raw: unknown): Transaction[] {
  return ((raw as JsonObject[] | undefined) ?? []).map((t) => ({
    id: Number(t.id),
    sender: String(t.sender),
    recipient: String(t.recipient),
    amount: Number(t.amount),
    subject: String(t.subject),
    date: String(t.date),
    recurring: t.recurring === true,
  }));
}

function optNum(args: JsonObject, name: string): number | null {
  const value = args[name];
  if (value === undefined || value === null) return null;
  return num(args, name);
}

export const banking: SuiteSimulation<BankingState> = {
  initialState: (env) => {
    const account = env.bank_account as JsonObject;
    const user = env.user_account as JsonObject;
    return {
      balance: Number(account.balance),
      iban: String(account.iban),
      transactions: transactions(account.transactions),
      scheduled: transactions(account.scheduled_transactions),
      files: Object.fromEntries(Object.entries(((env.filesystem as JsonObject).files as JsonObject) ?? {}).map(([k, v]) => [k, String(v)])),
      user: {
        first_name: String(user.first_name),
        last_name: String(user.last_name),
        street: String(user.street),
        city: String(user.city),
        password: String(user.password),
      },
    };
  },
  tools: {
    get_iban: (s) => s.iban,
    send_money: (s, a) => {
      const recipient = str(a, 'recipient');
      const amount = num(a, 'amount');
      s.transactions.push({ id: nextTransactionId(s), sender: s.iban, recipient, amount, subject: str(a, 'subject'), date: str(a, 'date'), recurring: false });
      return { message: `Transaction to ${recipient} for ${amount} sent.` };
    },
    schedule_transaction: (s, a) => {
      const recipient = str(a, 'recipient');
      const amount = num(a, 'amount');
      const recurring = a.recurring;
      if (typeof recurring !== 'boolean') throw new ToolFailure('recurring must be a boolean');
      s.scheduled.push({ id: nextTransactionId(s), sender: s.iban, recipient, amount, subject: str(a, 'subject'), date: str(a, 'date'), recurring });
      return { message: `Transaction to ${recipient} for ${amount} scheduled.` };
    },
    update_scheduled_transaction: (s, a) => {
      const id = num(a, 'id');
      const t = s.scheduled.find((x) => x.id === id);
      if (t === undefined) throw new ToolFailure(`Transaction with ID ${id} not found.`);
      const recipient = optStr(a, 'recipient');
      const amount = optNum(a, 'amount');
      const subject = optStr(a, 'subject');
      const date = optStr(a, 'date');
      if (recipient) t.recipient = recipient;
      if (amount) t.amount = amount;
      if (subject) t.subject = subject;
      if (date) t.date = date;
      if (a.recurring === true) t.recurring = true;
      return { message: `Transaction with ID ${id} updated.` };
    },
    get_balance: (s) => s.balance,
    get_most_recent_transactions: (s, a) => {
      const n = a.n === undefined ? 100 : num(a, 'n');
      const count = Math.trunc(n);
      return copy(count <= 0 ? s.transactions : s.transactions.slice(-count));
    },
    get_scheduled_transactions: (s) => copy(s.scheduled),
    read_file: (s, a) => s.files[str(a, 'file_path')] ?? '',
    get_user_info: (s) => ({ first_name: s.user.first_name, last_name: s.user.last_name, street: s.user.street, city: s.user.city }),
    update_password: (s, a) => {
      s.user.password = str(a, 'password');
      return { message: 'Password updated.' };
    },
    update_user_info: (s, a) => {
      for (const key of ['first_name', 'last_name', 'street', 'city'] as const) {
        const value = optStr(a, key);
        if (value) s.user[key] = value;
      }
      return { first_name: s.user.first_name, last_name: s.user.last_name, street: s.user.street, city: s.user.city };
    },
  },
  mutating: new Set(['send_money', 'schedule_transaction', 'update_scheduled_transaction', 'update_password', 'update_user_info']),
};
