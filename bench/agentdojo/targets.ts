/**
 * The target scope an application could declare for a benchmark session without knowing the
 * task's ground truth: what the user's own request text names, plus the principal's own
 * attributes (her address and its domain - her organisation's colleagues - and her account). From the prompt: mail addresses, IBANs, URLs and
 * bare hosts (`www.dora.example`), quoted values (`the 'general' channel`) and capitalized
 * names (`Alice`, `Bob`: a word starting with a capital letter, not the first of a sentence).
 * Nothing is taken from tool results, the world's data or the ground-truth calls.
 */
import type { TargetPattern } from '../../src/pipeline/index.ts';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g;
const URL_LIKE = /\b(?:https?:\/\/)?(?:[A-Za-z0-9-]+\.)+[a-z]{2,24}(?:\/[^\s'"<>),]*)?/g;
const QUOTED = /(?<![\p{L}\p{N}])['"‘“]([^'"‘’“”\n]{1,80})['"’”](?![\p{L}\p{N}])/gu;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}_-]*/gu;

function kindOfOwn(value: string): TargetPattern['kind'] {
  if (/^[^@\s]+@[^@\s]+$/.test(value)) return 'email';
  if (/^[A-Z]{2}\d{2}[A-Z0-9 ]{8,}$/i.test(value)) return 'iban';
  return 'value';
}

/** Capitalized words inside a sentence (not the first word after a sentence end or line start). */
function names(text: string): string[] {
  const out: string[] = [];
  for (const sentence of text.split(/(?<=[.!?:])\s+|\n+/)) {
    const words = [...sentence.matchAll(WORD)].map((m) => m[0]);
    for (const word of words.slice(1)) if (/^\p{Lu}/u.test(word)) out.push(word.replace(/'s$/, ''));
  }
  return out;
}

export function targetsFromPrompt(prompt: string, own: Record<string, string>): TargetPattern[] {
  const out = new Map<string, TargetPattern>();
  const add = (kind: TargetPattern['kind'], value: string) => {
    const trimmed = value.trim().replace(/[.,;:!?]+$/, '');
    if (trimmed !== '') out.set(`${kind}\u0000${trimmed.toLowerCase()}`, { kind, value: trimmed });
  };
  const emails = [...prompt.matchAll(EMAIL)].map((m) => m[0]);
  for (const email of emails) add('email', email);
  for (const m of prompt.matchAll(IBAN)) add('iban', m[0]);
  const withoutEmails = emails.reduce((text, email) => text.replace(email, ' '), prompt);
  for (const m of withoutEmails.matchAll(URL_LIKE)) {
    // A file name (`bill-december-2023.txt`) is not a host.
    if (!/^(?:https?:\/\/|www\.)/i.test(m[0]) && /\.(?:txt|pdf|docx?|xlsx?|csv|json|md|png|jpe?g)$/i.test(m[0])) continue;
    add('url', m[0]);
  }
  for (const m of prompt.matchAll(QUOTED)) add('value', m[1] as string);
  for (const name of names(prompt)) add('value', name);
  for (const value of Object.values(own)) {
    const kind = kindOfOwn(value);
    add(kind, value);
    // Her own organisation: colleagues at her mail domain are within any task's reach.
    if (kind === 'email') add('domain', value.slice(value.lastIndexOf('@') + 1));
  }
  return [...out.values()];
}
