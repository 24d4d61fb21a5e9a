import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AirlockError } from '../core/errors.ts';
import { MAX_TARGETS, TargetScope, validateTargets } from './targets.ts';
import type { TargetPattern } from './targets.ts';

const scopeOf = (...targets: Array<{ kind: string; value: string }>) => new TargetScope(validateTargets(targets));

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);
const unicodeLabel = fc.constantFrom('bücher', 'münchen', 'straße', 'españa', 'пример', '例え');
const domain = fc.tuple(fc.oneof(label, unicodeLabel), label, fc.constantFrom('com', 'example', 'de', 'org')).map(([a, b, tld]) => `${a}.${b}.${tld}`);
const local = fc.stringMatching(/^[a-z][a-z0-9._]{0,11}$/);

/** Random upper/lower case per character, from a seed list of booleans. */
function recase(text: string, flips: readonly boolean[]): string {
  return [...text].map((c, i) => (flips[i % Math.max(1, flips.length)] === true && /[a-z]/.test(c) ? c.toUpperCase() : c)).join('');
}

test('an address in any case, with a trailing dot on its domain, or with its domain in punycode is in scope; another address is not', () => {
  fc.assert(
    fc.property(local, domain, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), local, (user, host, flips, dot, other) => {
      const scope = scopeOf({ kind: 'email', value: `${user}@${host}` });
      const ascii = new URL(`https://${host}`).hostname;
      assert.equal(scope.covers(recase(`${user}@${host}`, flips) + (dot ? '.' : '')), true);
      assert.equal(scope.covers(` ${user}@${ascii} `), true);
      if (other !== user) assert.equal(scope.covers(`${other}@${host}`), false);
      assert.equal(scope.covers(`${user}@${host}.evil.com`), false);
      assert.equal(scope.covers(`${user}@evil-${ascii}`), false);
    }),
  );
});

test('a domain covers itself and its subdomains (addresses, URLs, bare hosts), declared in unicode or punycode, and nothing that merely ends like it', () => {
  fc.assert(
    fc.property(domain, label, fc.boolean(), local, (host, sub, wildcard, user) => {
      const ascii = new URL(`https://${host}`).hostname;
      const scope = scopeOf({ kind: 'domain', value: wildcard ? `*.${host}` : host });
      for (const inside of [`${user}@${host}`, `${user}@${sub}.${ascii}`, `https://${sub}.${ascii.toUpperCase()}/x`, `${ascii}.`, `http://${ascii}:8080/a?b`]) {
        assert.equal(scope.covers(inside), true, inside);
      }
      for (const outsideValue of [`${user}@${sub}${ascii}`, `https://${ascii}.evil.com/`, `https://${ascii}@evil.com/`, `evil.com/${ascii}`, `${user}@evil.com`]) {
        assert.equal(scope.covers(outsideValue), false, outsideValue);
      }
    }),
  );
});

const ibanBody = fc.tuple(fc.constantFrom('DE', 'GB', 'FR', 'CH', 'US'), fc.stringMatching(/^[0-9]{2}$/), fc.stringMatching(/^[A-Z0-9]{10,26}$/)).map(([c, d, rest]) => `${c}${d}${rest}`);

test('an IBAN with any spacing or case is in scope; one that differs in any character is not', () => {
  fc.assert(
    fc.property(ibanBody, fc.array(fc.nat(40), { maxLength: 6 }), fc.nat(), fc.boolean(), (iban, cuts, at, lower) => {
      const scope = scopeOf({ kind: 'iban', value: iban.replace(/(.{4})/g, '$1 ') });
      let spaced = iban;
      for (const cut of [...cuts].sort((a, b) => b - a)) spaced = `${spaced.slice(0, cut % spaced.length)} ${spaced.slice(cut % spaced.length)}`;
      assert.equal(scope.covers(lower ? spaced.toLowerCase() : spaced), true);
      const i = 4 + (at % (iban.length - 4));
      const changed = `${iban.slice(0, i)}${iban[i] === '7' ? '8' : '7'}${iban.slice(i + 1)}`;
      assert.equal(scope.covers(changed), false);
      assert.equal(scope.covers(`${iban}0`), false);
    }),
  );
});

test('a URL covers its normalized forms and what lies below its path on the same host and port, nothing else', () => {
  const segment = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
  fc.assert(
    fc.property(domain, segment, segment, fc.boolean(), (host, dir, page, withScheme) => {
      const ascii = new URL(`https://${host}`).hostname;
      const scope = scopeOf({ kind: 'url', value: `${withScheme ? 'https://' : ''}${host}/${dir}` });
      for (const inside of [
        `https://${ascii}/${dir}`,
        `HTTPS://${ascii.toUpperCase()}.:443/${dir}/${page}?q=1#f`,
        `${host}/${dir}/./${page}`,
        `http://${ascii}/${page}/../${dir}/${page}`,
      ]) {
        assert.equal(scope.covers(inside), true, inside);
      }
      for (const outsideValue of [
        `https://${ascii}/${dir}${page}`,
        `https://${ascii}/${page}x/${dir}`,
        `https://${ascii}:8443/${dir}`,
        `https://${ascii}.evil.com/${dir}`,
        `https://${ascii}@evil.com/${dir}`,
        `ftp://${ascii}/${dir}`,
        `https://${ascii}/${dir}/../${page}x`,
      ]) {
        assert.equal(scope.covers(outsideValue), false, outsideValue);
      }
    }),
  );
});

test('path globs: * stays within a segment, ** crosses segments, dot segments are resolved and a path climbing out is outside', () => {
  const scope = scopeOf({ kind: 'path', value: '/srv/reports/*.txt' }, { kind: 'path', value: 'docs/**' });
  assert.equal(scope.covers('/srv/reports/q1.txt'), true);
  assert.equal(scope.covers('/srv//reports/./q1.txt'), true);
  assert.equal(scope.covers('/srv/x/../reports/q1.txt'), true);
  assert.equal(scope.covers('/srv/reports/2024/q1.txt'), false);
  assert.equal(scope.covers('/srv/reports/../../etc/passwd'), false);
  assert.equal(scope.covers('docs/a/b/c.md'), true);
  assert.equal(scope.covers('docs/../../secrets'), false);
  assert.equal(scope.covers('/srv/reports/Q1.txt'), true, 'the glob * covers any name');
  assert.equal(scope.covers('/SRV/reports/q1.txt'), false, 'paths are case-sensitive');
  assert.equal(scope.covers('/srv/reports/q1.TXT'), false, 'paths are case-sensitive');
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z]{1,6}$/), (dir, name) => {
      const exact = scopeOf({ kind: 'path', value: `/${dir}/${name}` });
      assert.equal(exact.covers(`/${dir}/./${name}`), true);
      assert.equal(exact.covers(`/${dir}/${name}/../${name}`), true);
      assert.equal(exact.covers(`/${dir}/${name}x`), false);
      assert.equal(exact.covers(`/${dir}x/${name}`), false);
    }),
  );
});

test('a plain value matches exactly, ignoring case, surrounding space and unicode composition; regex characters mean themselves', () => {
  const scope = scopeOf({ kind: 'value', value: 'General' }, { kind: 'value', value: 'Café' }, { kind: 'value', value: 'a.b*' });
  assert.equal(scope.covers(' general '), true);
  assert.equal(scope.covers('Cafe\u0301'), true);
  assert.equal(scope.covers('general2'), false);
  assert.equal(scope.covers('a.b*'), true);
  assert.equal(scope.covers('axbbb'), false);
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), (declared, value) => {
      if (declared.trim() === '' || !declared.isWellFormed()) return;
      const s = scopeOf({ kind: 'value', value: declared });
      assert.equal(s.covers(declared), true);
      const same = value.normalize('NFC').trim().toLowerCase() === declared.normalize('NFC').trim().toLowerCase();
      assert.equal(s.covers(value), same);
    }),
  );
});

test('a value of another kind is outside: an IBAN pattern never covers an address, nor a domain an account number', () => {
  const scope = scopeOf({ kind: 'iban', value: 'GB29 NWBK 6016 1331 9268 19' }, { kind: 'domain', value: 'bank.example' });
  assert.equal(scope.covers('GB29NWBK60161331926819'), true);
  assert.equal(scope.covers('ops@bank.example'), true);
  assert.equal(scope.covers('GB29NWBK60161331926819@evil.com'), false);
  assert.equal(scope.covers('DE89370400440532013000'), false);
  assert.equal(new TargetScope([]).covers('anything'), false, 'an empty scope covers nothing');
});

test('outside() reports each argument path holding a value outside (an array element reports the array), nested paths dotted', () => {
  const scope = scopeOf({ kind: 'email', value: 'bob@example.com' }, { kind: 'value', value: 'general' });
  const args = { recipients: ['Bob@Example.com', 'eve@evil.com'], cc: ['bob@example.com'], channel: 'general', meta: { to: 'x', n: 3, ok: true, none: null }, empty: [] };
  assert.deepEqual(scope.outside(args), ['meta.n', 'meta.to', 'recipients']);
});

test('validateTargets normalizes, removes duplicates, sorts; a malformed declaration is refused with ERR_SESSION_TARGETS naming the entry', () => {
  assert.deepEqual(
    validateTargets([
      { kind: 'email', value: 'Bob@Bücher.Example.' },
      { kind: 'email', value: 'bob@xn--bcher-kva.example' },
      { kind: 'iban', value: 'gb29 nwbk 6016 1331 9268 19' },
      { kind: 'domain', value: '*.Example.COM' },
      { kind: 'url', value: 'HTTPS://www.Example.com:443/a/./b/../c' },
    ]),
    [
      { kind: 'domain', value: 'example.com' },
      { kind: 'email', value: 'bob@xn--bcher-kva.example' },
      { kind: 'iban', value: 'GB29NWBK60161331926819' },
      { kind: 'url', value: 'www.example.com/a/c' },
    ] satisfies TargetPattern[],
  );
  const refused = (input: unknown, index?: number) => {
    assert.throws(() => validateTargets(input), (error: unknown) => error instanceof AirlockError && error.code === 'ERR_SESSION_TARGETS' && error.status === 400 && (index === undefined || (error.details as { index: number }).index === index));
  };
  refused({ kind: 'email', value: 'a@b.c' });
  refused(Array.from({ length: MAX_TARGETS + 1 }, (_, i) => ({ kind: 'value', value: `v${i}` })));
  refused([{ kind: 'value', value: 'ok' }, { kind: 'phone', value: '1' }], 1);
  refused([{ kind: 'email', value: 'not an address' }], 0);
  refused([{ kind: 'email', value: 'a@b@c.com' }], 0);
  refused([{ kind: 'iban', value: 'hello' }], 0);
  refused([{ kind: 'url', value: 'javascript:alert(1)' }], 0);
  refused([{ kind: 'url', value: 'https://user:pw@example.com/' }], 0);
  refused([{ kind: 'path', value: '../etc' }], 0);
  refused([{ kind: 'path', value: '/a/' + '*'.repeat(17) }], 0);
  refused([{ kind: 'value', value: '   ' }], 0);
  refused([{ kind: 'value', value: 'x'.repeat(1025) }], 0);
  refused([{ kind: 'value', value: 'x', extra: 1 }], 0);
  refused([{ kind: 'value', value: '\ud800' }], 0);
  refused([null], 0);
});

/** Reference semantics of a glob, as a regular expression (fine for the short inputs below). */
function globReference(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

test('path globs match exactly as their reference semantics, and an attacker path cannot make a declared glob slow', () => {
  const globChar = fc.constantFrom('a', 'b', '/', '*', '?', '.');
  const pathChar = fc.constantFrom('a', 'b', '/', '.');
  fc.assert(
    fc.property(fc.array(globChar, { minLength: 1, maxLength: 10 }), fc.array(pathChar, { maxLength: 12 }), (g, p) => {
      const glob = `/${g.join('')}`;
      let targets: TargetPattern[];
      try {
        targets = validateTargets([{ kind: 'path', value: glob }]);
      } catch {
        return; // a glob that does not normalize (`..` above its start) is refused at declaration
      }
      const normal = (targets[0] as TargetPattern).value;
      const path = `/${p.join('')}`;
      const scope = new TargetScope(targets);
      const normalPath = path.split('/').filter((x) => x !== '' && x !== '.');
      if (normalPath.includes('..')) return; // resolved by normalization; covered above
      const expected = globReference(normal).test(`/${normalPath.join('/')}`);
      assert.equal(scope.covers(path), expected, `${normal} vs ${path}`);
    }),
  );
  const slow = new TargetScope(validateTargets([{ kind: 'path', value: '/**a**a**a**a**a**a**a**b' }, { kind: 'path', value: '/*a*a*a*a*a*a*a*b' }]));
  assert.equal(slow.covers(`/${'a'.repeat(1000)}`), false);
  assert.equal(slow.covers(`/${'a'.repeat(1000)}b`), true);
  assert.equal(slow.covers(`/${'a'.repeat(5000)}b`), false, 'paths over 1,024 characters are outside any glob');
});

test('a value that reads both as an address and as a URL on another host is outside a domain or URL scope', () => {
  const domainScope = scopeOf({ kind: 'domain', value: 'example.com' });
  // To a mailer an address at example.com, to a fetcher a URL on evil.com: outside.
  for (const value of ['evil.com/a@example.com', 'evil.com\\@example.com', 'evil.com?@example.com', 'evil.com#@example.com', '//evil.com/@example.com', 'evil.com/@example.com']) {
    assert.equal(domainScope.covers(value), false, value);
  }
  // Both readings on the declared host stay inside; a plain address is not a URL at all.
  assert.equal(domainScope.covers('example.com/a@example.com'), true);
  assert.equal(domainScope.covers('bob@example.com'), true);
  const urlScope = scopeOf({ kind: 'url', value: 'https://example.com/dir' });
  // A URL below the declared path to a fetcher, an address at evil.com to a mailer: outside.
  assert.equal(urlScope.covers('example.com/dir/x@evil.com'), false);
  assert.equal(urlScope.covers('example.com/dir/x@example.com'), true);
  fc.assert(
    fc.property(domain, domain, local, fc.constantFrom('/', '?', '#', '\\', '/x/'), (declared, other, user, sep) => {
      const ascii = new URL(`https://${declared}`).hostname;
      const otherAscii = new URL(`https://${other}`).hostname;
      if (otherAscii === ascii || otherAscii.endsWith(`.${ascii}`)) return;
      assert.equal(scopeOf({ kind: 'domain', value: declared }).covers(`${otherAscii}${sep}${user}@${ascii}`), false);
      assert.equal(scopeOf({ kind: 'url', value: `https://${declared}/` }).covers(`${ascii}/${user}@${otherAscii}`), false);
    }),
  );
});
