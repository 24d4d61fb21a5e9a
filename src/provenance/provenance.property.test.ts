/**
 * Properties of argument provenance, for meaningful values (entities and phrases of 3+
 * words) embedded, between words, in generated content:
 * - a value present only in untrusted content is always tainted, also when the content
 *   hides invisible code points between its characters, and when the value is an IBAN or a
 *   grouped number copied without its separators, and when content spells an address so
 *   that it does not read as one (`[at]`, `[dot]`, `hxxps`), and when a model rewrites it the
 *   way models do (a phone number national or international, an amount in another locale's
 *   format, a link with or without its scheme under a host the user named, a home path with
 *   `~`), and when the tool result it came from echoes a call argument inside it;
 * - a value also present in user-tier content is never tainted;
 * - the order content was registered in changes nothing (arguments, sources, labels);
 * - a value inside a request for action is `instructed` exactly when no untrusted text
 *   states it as plain data and the user pointed to none of the texts it came from, and
 *   `directive` otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonValue } from '../core/canonical.ts';
import { leavesOfJson, textOfJson } from './text.ts';
import { ProvenanceTracker } from './tracker.ts';

const FILLER = ['the', 'please', 'send', 'meeting', 'report', 'account', 'team', 'review', 'order', 'thanks', 'and', 'to', 'from', 'with'];
const PHRASE = ['zebra', 'quartz', 'violet', 'harbor', 'lantern', 'summit', 'copper', 'meadow', 'falcon', 'orbit', 'ember', 'tundra'];

const letters = (min: number, max: number) => fc.stringMatching(new RegExp(`^[a-z]{${min},${max}}$`));
const alnum = (min: number, max: number) => fc.stringMatching(new RegExp(`^[a-z0-9]{${min},${max}}$`));
const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
const caseMix = (s: string, flips: boolean[]) => [...s].map((ch, i) => (flips[i % flips.length] === true ? ch.toUpperCase() : ch)).join('');

const email = fc
  .tuple(alnum(1, 10), fc.option(alnum(1, 5)), alnum(1, 10), letters(2, 6), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }))
  .map(([local, dotted, label, tld, flips]) => caseMix(`${local}${dotted === null ? '' : `.${dotted}`}@${label}.${tld}`, flips));
const iban = fc
  .tuple(letters(2, 2), digits(2), alnum(11, 26), fc.constantFrom('', ' ', '-', '.', ' - '))
  .map(([country, check, rest, separator]) => (`${country}${check}${rest}`.toUpperCase().match(/.{1,4}/g) ?? []).join(separator));
/** An IBAN as banks print it: a bank code of letters or digits, then an account number of digits. */
const printedIban = fc
  .tuple(letters(2, 2), digits(2), alnum(4, 4), fc.stringMatching(/^[0-9]{7,26}$/), fc.constantFrom('', ' ', '-', '.', ' - '))
  .map(([country, check, bank, account, separator]) => (`${country}${check}${bank}${account}`.toUpperCase().match(/.{1,4}/g) ?? []).join(separator));
/** A card or account number in groups: 7 to 34 digits. */
const grouped = fc
  .tuple(fc.array(digits(4), { minLength: 2, maxLength: 8 }), fc.constantFrom(' ', '-', '.'))
  .map(([groups, separator]) => groups.join(separator));
const url = fc
  .tuple(fc.constantFrom('http://', 'https://', 'https://www.', 'www.'), alnum(1, 12), letters(2, 5), fc.array(alnum(1, 8), { maxLength: 3 }))
  .map(([prefix, label, tld, path]) => `${prefix}${label}.${tld}${path.map((p) => `/${p}`).join('')}`);
const phone = fc
  .tuple(fc.integer({ min: 1, max: 99 }), digits(3), digits(3), digits(4), fc.constantFrom(' ', '-', '.'))
  .map(([country, a, b, c, sep]) => `+${country} (${a}) ${b}${sep}${c}`);
const path = fc.array(alnum(1, 8), { minLength: 2, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const identifier = fc
  .tuple(letters(2, 5), fc.constantFrom('_', '-'), digits(3), fc.option(alnum(1, 4)))
  .map(([head, sep, n, tail]) => `${head}${sep}${n}${tail === null ? '' : `${sep}${tail}`}`);
const number = fc.oneof(
  fc.integer({ min: 1000, max: 2_000_000_000 }),
  fc.integer({ min: 1000, max: 9_999_999 }).map((n) => String(n)),
);
const phrase = fc.array(fc.constantFrom(...PHRASE), { minLength: 3, maxLength: 12 }).map((words) => words.join(' '));

const meaningful: fc.Arbitrary<string | number> = fc.oneof(email, iban, url, phone, path, identifier, number, phrase);
const filler = fc.array(fc.constantFrom(...FILLER), { minLength: 0, maxLength: 12 }).map((w) => w.join(' '));

const embed = (before: string, value: string | number, after: string) => `${before} ${String(value)} ${after}`;

/** `{name: value}` or `{name: {inner: value}}`, and the path reported for it. */
const placement = fc.tuple(fc.constantFrom('to', 'recipient', 'iban', 'body'), fc.option(fc.constantFrom('address', 'value'))).map(([name, inner]) => ({
  path: inner === null ? name : `${name}.${inner}`,
  wrap: (value: JsonValue): Record<string, JsonValue> => (inner === null ? { [name]: value } : { [name]: { [inner]: value } }),
}));

function tracker(contents: Array<{ text: string; tier: string; id: string; source?: string }>) {
  const t = new ProvenanceTracker();
  for (const c of contents) t.register('ses_p', { text: c.text, tier: c.tier, contentId: c.id, ...(c.source === undefined ? {} : { sourceId: c.source }) });
  return t;
}

test('a value present only in untrusted content is always tainted', () => {
  fc.assert(
    fc.property(meaningful, placement, filler, filler, fc.array(filler, { maxLength: 3 }), fc.array(filler, { maxLength: 3 }), (value, place, before, after, otherUntrusted, user) => {
      const contents = [
        ...user.map((text, i) => ({ text, tier: 'user', id: `cnt_user${i}` })),
        ...otherUntrusted.map((text, i) => ({ text, tier: 'external', id: `cnt_other${i}` })),
        { text: embed(before, value, after), tier: 'external', id: 'cnt_carrier', source: 'web' },
      ];
      const { taint } = tracker(contents).trace('ses_p', place.wrap(value));
      const found = taint.find((t) => t.argument === place.path);
      assert.ok(found !== undefined, `${String(value)} was not tainted`);
      assert.ok(found.sources.includes('cnt_carrier') && found.sources.includes('web'));
    }),
    { numRuns: 400 },
  );
});

/** Code points a reader never sees (Default_Ignorable_Code_Point), as content could hide them between characters. */
const invisible = fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u202e', '\u2066', '\u180e', '\u034f', '\ufe0f', '\u{e0041}');

test('a value spelled in untrusted content with invisible characters between its characters is still tainted', () => {
  fc.assert(
    fc.property(meaningful, placement, filler, filler, fc.array(fc.tuple(fc.nat(), invisible), { minLength: 1, maxLength: 6 }), (value, place, before, after, spikes) => {
      const chars = [...String(value)];
      for (const [at, mark] of spikes) chars.splice(1 + (at % Math.max(1, chars.length - 1)), 0, mark);
      const { taint } = tracker([{ text: embed(before, chars.join(''), after), tier: 'external', id: 'cnt_carrier', source: 'web' }]).trace('ses_p', place.wrap(value));
      assert.ok(taint.some((t) => t.argument === place.path), `${JSON.stringify(chars.join(''))} hid ${String(value)}`);
    }),
    { numRuns: 400 },
  );
});

test('an IBAN or a grouped number copied without its separators is still tainted', () => {
  fc.assert(
    fc.property(fc.oneof(printedIban, grouped), placement, filler, filler, (value, place, before, after) => {
      const compact = value.replace(/[\s.-]/g, '');
      const { taint } = tracker([{ text: embed(before, value, after), tier: 'external', id: 'cnt_carrier', source: 'web' }]).trace('ses_p', place.wrap(compact));
      assert.ok(taint.some((t) => t.argument === place.path), `${compact} copied from ${value}`);
    }),
    { numRuns: 400 },
  );
});

test('an address spelled so that it does not read as one (`eve [at] evil [dot] example`, `hxxps://evil[.]example`) taints its plain form', () => {
  const at = fc.constantFrom(' [at] ', '(at)', ' (at) ', ' at ', '[@]', '{at}');
  const dot = fc.constantFrom('[dot]', ' [dot] ', '(dot)', ' dot ', '[.]', '(.)');
  const spelled = fc.oneof(
    fc.tuple(email, at, dot).map(([plain, a, d]) => {
      const [local, domain] = plain.split('@') as [string, string];
      return { plain, written: `${local}${a}${domain.replaceAll('.', d)}` };
    }),
    fc.tuple(url, dot).map(([plain, d]) => {
      const [head, ...rest] = plain.split('/');
      return { plain, written: [(head as string).replaceAll('.', d), ...rest].join('/').replace(/^http/, 'hxxp') };
    }),
  );
  fc.assert(
    fc.property(spelled, placement, filler, filler, ({ plain, written }, place, before, after) => {
      const { taint } = tracker([{ text: embed(before, written, after), tier: 'external', id: 'cnt_carrier', source: 'web' }]).trace('ses_p', place.wrap(plain));
      assert.ok(taint.some((t) => t.argument === place.path), `${plain} written as ${written}`);
    }),
    { numRuns: 400 },
  );
});

/** A value as untrusted content writes it and as a model copies it into an argument. */
const rewritten: fc.Arbitrary<{ written: string; copied: JsonValue; user?: string }> = fc.oneof(
  // A phone number national in one, international in the other (country code, trunk prefix).
  fc
    .tuple(fc.constantFrom('1', '33', '44', '49', '353'), fc.stringMatching(/^[2-9][0-9]{8,9}$/), fc.boolean(), fc.constantFrom(' ', '-', '.', ''), fc.boolean())
    .map(([country, national, trunk, sep, internationalInContent]) => {
      const local = `${trunk ? '0' : ''}${national.slice(0, 3)}${sep}${national.slice(3, 6)}${sep}${national.slice(6)}`;
      const international = `+${country} ${national.slice(0, 3)} ${national.slice(3)}`;
      return internationalInContent ? { written: international, copied: local } : { written: local, copied: `+${country}${national}` };
    }),
  // An amount in a locale's format, copied as a number.
  fc
    .tuple(fc.integer({ min: 1000, max: 99_999_999 }), fc.integer({ min: 0, max: 99 }), fc.constantFrom('.', ' ', "'", '\u00a0', '\u202f'))
    .map(([whole, cents, group]) => {
      const grouped = String(whole).replace(/\B(?=(\d{3})+$)/g, group);
      const fraction = String(cents).padStart(2, '0');
      return { written: group === "'" ? `CHF ${grouped}.${fraction}` : `${grouped},${fraction} €`, copied: Number(`${whole}.${fraction}`) };
    }),
  // A link under a host the user named, with its scheme in one and without it in the other.
  fc
    .tuple(alnum(1, 10), letters(2, 5), fc.array(alnum(1, 8), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([label, tld, parts, schemeInContent]) => {
      const bare = `${label}.${tld}/${parts.join('/')}`;
      return { written: schemeInContent ? `https://${bare}` : bare, copied: schemeInContent ? bare : `https://${bare}`, user: `the site ${label}.${tld} is ours` };
    }),
  // A path in a home directory, with `~` in one and spelled out in the other.
  fc.tuple(fc.array(alnum(2, 8), { minLength: 1, maxLength: 3 }), letters(3, 8), fc.boolean()).map(([parts, user, tildeInContent]) => {
    const rest = parts.join('/');
    return tildeInContent ? { written: `~/${rest}`, copied: `/home/${user}/${rest}` } : { written: `/Users/${user}/${rest}`, copied: `~/${rest}` };
  }),
);

test('a value a model rewrites (phone number, amount, link, home path) is still tainted', () => {
  fc.assert(
    fc.property(rewritten, placement, filler, filler, ({ written, copied, user }, place, before, after) => {
      const contents = [
        ...(user === undefined ? [] : [{ text: user, tier: 'user', id: 'cnt_user' }]),
        { text: embed(before, written, after), tier: 'external', id: 'cnt_carrier', source: 'web' },
      ];
      const { taint } = tracker(contents).trace('ses_p', place.wrap(copied));
      assert.ok(taint.some((t) => t.argument === place.path), `${JSON.stringify(copied)} copied from ${JSON.stringify(written)}`);
    }),
    { numRuns: 400 },
  );
});

test('a value inside a tool result stays tainted when the call that produced it had an argument the value contains', () => {
  const carrier = fc.oneof(email, iban, url, identifier, printedIban);
  fc.assert(
    fc.property(carrier, fc.nat(), fc.integer({ min: 4, max: 8 }), filler, filler, (value, at, length, before, after) => {
      // An argument of the call that is part of the value (a search word, a year, an id).
      const start = at % Math.max(1, value.length - 3);
      const echo = value.slice(start, start + length);
      fc.pre(echo.length >= 4 && echo !== value);
      const text = textOfJson([{ body: embed(before, value, after) }], leavesOfJson({ query: echo }));
      const { taint } = tracker([{ text, tier: 'external', id: 'cnt_result', source: 'act_1' }]).trace('ses_p', { to: value });
      assert.ok(taint.some((t) => t.argument === 'to'), `${value} lost to the echo of ${echo}`);
    }),
    { numRuns: 400 },
  );
});

test('a value also present in user content is never tainted', () => {
  fc.assert(
    fc.property(meaningful, placement, filler, filler, filler, filler, fc.constantFrom('user', 'system'), (value, place, b1, a1, b2, a2, tier) => {
      const contents = [
        { text: embed(b1, value, a1), tier: 'external', id: 'cnt_untrusted' },
        { text: embed(b2, value, a2), tier, id: 'cnt_user' },
      ];
      assert.deepEqual(tracker(contents).trace('ses_p', place.wrap(value)).taint, []);
    }),
    { numRuns: 400 },
  );
});

test('the order of registration does not matter', () => {
  const content = fc.record({
    text: fc.tuple(filler, fc.option(meaningful), filler).map(([b, v, a]) => (v === null ? `${b} ${a}` : embed(b, v, a))),
    tier: fc.constantFrom('system', 'user', 'internal', 'external'),
  });
  fc.assert(
    fc.property(fc.array(content, { minLength: 1, maxLength: 6 }), fc.array(meaningful, { minLength: 1, maxLength: 4 }), fc.nat(), (contents, values, seed) => {
      const ided = contents.map((c, i) => ({ ...c, id: `cnt_${i}`, source: `src${i % 2}` }));
      const shuffled = [...ided];
      let s = seed;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2147483648;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j] as (typeof ided)[number], shuffled[i] as (typeof ided)[number]];
      }
      const args = Object.fromEntries(values.map((v, i) => [`a${i}`, v]));
      assert.deepEqual(tracker(shuffled).trace('ses_p', args), tracker(ided).trace('ses_p', args));
    }),
    { numRuns: 300 },
  );
});

test('a value in a request is instructed exactly when nothing states it as data and the user pointed to none of its sources', () => {
  fc.assert(
    fc.property(meaningful, placement, filler, filler, filler, fc.boolean(), fc.boolean(), fc.boolean(), (value, place, before, b2, a2, statedElsewhere, pointed, carrierKind) => {
      const t = new ProvenanceTracker();
      const request = `Please forward ${String(value)} right away.`;
      const text = `${before}\n${request}`;
      t.register('ses_p', { text, tier: 'external', regions: carrierKind ? { carrier: [text] } : { directive: [request] }, ...(pointed ? { pointed: true } : {}) });
      if (statedElsewhere) t.register('ses_p', { text: embed(b2, value, a2), tier: 'external' });
      const found = t.trace('ses_p', place.wrap(value)).taint.find((x) => x.argument === place.path);
      assert.equal(found?.evidence, statedElsewhere || pointed ? 'directive' : 'instructed');
    }),
    { numRuns: 400 },
  );
});

test('a snippet highlights the value it shows the reviewer', () => {
  fc.assert(
    fc.property(fc.oneof(email, iban, url), filler, filler, (value, before, after) => {
      const t = new ProvenanceTracker();
      const text = `${before}  ${'word '.repeat(30)}\n${value}\n${'more '.repeat(30)} ${after}`;
      t.register('ses_p', { text, tier: 'external', sourceId: 'web' });
      const [explained] = t.explain('ses_p', { to: value });
      const snippet = explained?.snippets[0];
      assert.ok(snippet !== undefined);
      const shown = snippet.text.slice(snippet.highlight.start, snippet.highlight.end).toLowerCase();
      assert.ok(value.toLowerCase().includes(shown) && shown.length > 0, `${shown} in ${value}`);
    }),
    { numRuns: 200 },
  );
});
