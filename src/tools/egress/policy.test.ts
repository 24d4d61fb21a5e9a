import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { formatIp, parseCidr, parseIp } from './ip.ts';
import { classifyAddress } from './ranges.ts';
import { checkAddress, checkDestination, compileEgressPolicy } from './policy.ts';

const ip = (text: string) => {
  const parsed = parseIp(text);
  assert.ok(parsed, `parses ${text}`);
  return parsed;
};

test('every inet_aton spelling of 127.0.0.1 parses to the same address', () => {
  for (const form of ['127.0.0.1', '2130706433', '0x7f000001', '0x7f.1', '0177.0.0.01', '127.1', '127.0.1', '0x7F.0.0.0x1', '017700000001', '127.0.0.1.']) {
    assert.equal(formatIp(ip(form).bytes), '127.0.0.1', form);
  }
  assert.equal(parseIp('256.0.0.1'), null);
  assert.equal(parseIp('1.2.3.4.5'), null);
  assert.equal(parseIp('example.com'), null);
});

test('ipv6 forms: brackets, zones, embedded ipv4, compression', () => {
  assert.equal(formatIp(ip('[::1]').bytes), '::1');
  assert.equal(ip('fe80::1%eth0').zone, 'eth0');
  assert.equal(formatIp(ip('::ffff:127.0.0.1').bytes), '127.0.0.1');
  assert.equal(formatIp(ip('::ffff:7f00:1').bytes), '127.0.0.1');
  assert.equal(formatIp(ip('0:0:0:0:0:0:0:1').bytes), '::1');
  assert.equal(formatIp(ip('2001:db8:0:0:1:0:0:1').bytes), '2001:db8::1:0:0:1');
  assert.equal(parseIp('1::2::3'), null);
  assert.equal(parseIp('::ffff:1.2.3.256'), null);
});

test('special ranges, embedded ipv4 unwrapped', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link_local'],
    ['100.100.100.200', 'metadata'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['8.8.8.8', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fd00::1', 'unique_local'],
    ['fd00:ec2::254', 'metadata'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'reserved'],
    ['2606:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ];
  for (const [text, range] of cases) assert.equal(classifyAddress(ip(text).bytes), range, text);
});

const policy = compileEgressPolicy([
  { id: 'api', host: 'api.example.com' },
  { id: 'wild', host: '*.example.org', ports: [443, 8443], schemes: ['https'] },
  { id: 'ledger', host: '127.0.0.1', ports: [8788], schemes: ['http'] },
  { id: 'internal', host: 'svc.internal.test', addresses: ['10.1.0.0/16'] },
]);

test('destinations: allowlist rules decide, built-in rules refuse bad urls', () => {
  const allowed = (url: string) => checkDestination(url, policy);
  assert.deepEqual([allowed('https://api.example.com/x')].map((c) => c.allowed && c.rule.id), ['api']);
  assert.equal(allowed('https://a.b.example.org:8443/').allowed, true);
  assert.equal(allowed('http://a.example.org/').allowed, false);
  assert.equal(allowed('https://example.org/').allowed, false, 'a wildcard covers subdomains only');
  assert.equal(allowed('http://127.0.0.1:8788/').allowed, true);
  assert.equal(allowed('http://2130706433:8788/').allowed, true, 'same address, other spelling');
  assert.equal(allowed('http://127.0.0.1:8789/').allowed, false, 'port not listed');
  assert.equal(allowed('http://localhost:8788/').allowed, false, 'an ip rule does not admit names');
  const refused = (url: string, reason: string) => {
    const check = allowed(url);
    assert.equal(check.allowed, false, url);
    if (!check.allowed) {
      assert.equal(check.reason, reason, url);
      assert.match(check.rule, /^builtin\./);
    }
  };
  refused('ftp://api.example.com/', 'egress.scheme');
  refused('https://user:pw@api.example.com/', 'egress.userinfo');
  // WHATWG URL itself refuses zone ids in hosts; the guard's own zone check covers resolver answers.
  refused('http://[fe80::1%25eth0]:8788/', 'egress.invalid_url');
  refused('https://evil.test/', 'egress.not_allowlisted');
  refused('not a url', 'egress.invalid_url');
});

test('addresses: metadata never, special ranges only when the rule names them', () => {
  const rule = (id: string) => policy.rules.find((r) => r.id === id) as (typeof policy.rules)[number];
  assert.equal(checkAddress('93.184.216.34', rule('api')).allowed, true);
  const loop = checkAddress('127.0.0.1', rule('api'));
  assert.equal(loop.allowed, false);
  if (!loop.allowed) assert.deepEqual([loop.reason, loop.rule, loop.range], ['egress.forbidden_address', 'builtin.egress_special_range', 'loopback']);
  const meta = checkAddress('::ffff:169.254.169.254', rule('internal'));
  assert.equal(meta.allowed, false);
  if (!meta.allowed) assert.equal(meta.reason, 'egress.metadata_address');
  assert.equal(checkAddress('10.1.4.5', rule('internal')).allowed, true);
  assert.equal(checkAddress('10.2.4.5', rule('internal')).allowed, false);
  assert.equal(checkAddress('::ffff:127.0.0.1', rule('ledger')).allowed, true);
});

test('configuration mistakes are refused with the rule id', () => {
  assert.throws(() => compileEgressPolicy([{ host: 'exa mple.com' }]), /egress\.allow\[0\]/);
  assert.throws(() => compileEgressPolicy([{ id: 'x', host: '10.0.0.0/33' }]), /x:/);
  assert.throws(() => compileEgressPolicy([{ host: '*.com.' }]), /wildcard/);
  assert.throws(() => compileEgressPolicy([{ host: '1.2.3.999' }]), /not a valid/);
});

// ---- properties --------------------------------------------------------------------------

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));

/** Random inet_aton spellings of an IPv4 address. */
function spell([a, b, c, d]: [number, number, number, number], style: number, radix: number[]): string {
  const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  const fmt = (value: number, r: number) => (r === 16 ? `0x${value.toString(16)}` : r === 8 ? `0${value.toString(8)}` : String(value));
  const r = (i: number) => radix[i % radix.length] as number;
  switch (style) {
    case 0:
      return fmt(n, r(0));
    case 1:
      return `${fmt(a, r(0))}.${fmt((b << 16) + (c << 8) + d, r(1))}`;
    case 2:
      return `${fmt(a, r(0))}.${fmt(b, r(1))}.${fmt((c << 8) + d, r(2))}`;
    default:
      return `${fmt(a, r(0))}.${fmt(b, r(1))}.${fmt(c, r(2))}.${fmt(d, r(3))}`;
  }
}

test('property: every spelling of an ipv4 address parses to it, and new URL agrees', () => {
  fc.assert(
    fc.property(v4, fc.nat(3), fc.array(fc.constantFrom(8, 10, 16), { minLength: 4, maxLength: 4 }), (quad, style, radix) => {
      const text = spell(quad, style, radix);
      const expected = quad.join('.');
      assert.equal(formatIp((parseIp(text) as { bytes: Uint8Array }).bytes), expected);
      assert.equal(new URL(`http://${text}/`).hostname, expected);
    }),
    { numRuns: 2000 },
  );
});

test('property: an address and its ipv4-mapped / nat64 / 6to4 forms are judged alike', () => {
  fc.assert(
    fc.property(v4, (quad) => {
      const text = quad.join('.');
      const range = classifyAddress((parseIp(text) as { bytes: Uint8Array }).bytes);
      const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
      for (const form of [`::ffff:${text}`, `::ffff:${hex(quad[0], quad[1])}:${hex(quad[2], quad[3])}`, `64:ff9b::${text}`, `2002:${hex(quad[0], quad[1])}:${hex(quad[2], quad[3])}::1`]) {
        assert.equal(classifyAddress((parseIp(form) as { bytes: Uint8Array }).bytes), range, form);
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: no address in a special range passes a rule that does not name it', () => {
  const open = compileEgressPolicy([{ id: 'any', host: 'example.com' }]).rules[0] as (typeof policy.rules)[number];
  fc.assert(
    fc.property(fc.oneof(v4.map((q) => q.join('.')), fc.ipV6()), (text) => {
      const parsed = parseIp(text);
      if (parsed === null) return; // fast-check emits forms node itself accepts; skip any we refuse
      const verdict = checkAddress(text, open);
      assert.equal(verdict.allowed, classifyAddress(parsed.bytes) === 'public', text);
    }),
    { numRuns: 3000 },
  );
});

test('property: parseIp agrees with node:net isIP on generated addresses', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
      assert.equal(isIP(text) !== 0, true);
      const parsed = parseIp(text);
      assert.ok(parsed, text);
      const again = parseIp(formatIp(parsed.bytes));
      assert.deepEqual(again?.bytes, parsed.bytes);
    }),
    { numRuns: 3000 },
  );
});

test('property: a cidr contains exactly the addresses sharing its prefix', () => {
  fc.assert(
    fc.property(v4, fc.integer({ min: 0, max: 32 }), v4, (base, bits, probe) => {
      const cidr = parseCidr(`${base.join('.')}/${bits}`);
      assert.ok(cidr);
      const toN = (q: number[]) => ((q[0] as number) * 2 ** 24 + (q[1] as number) * 2 ** 16 + (q[2] as number) * 2 ** 8 + (q[3] as number));
      const same = bits === 0 || Math.floor(toN(base) / 2 ** (32 - bits)) === Math.floor(toN(probe) / 2 ** (32 - bits));
      const rule = compileEgressPolicy([{ id: 'c', host: `${base.join('.')}/${bits}`, ports: [80] }]);
      assert.equal(checkDestination(`http://${probe.join('.')}/`, rule).allowed, same);
    }),
    { numRuns: 2000 },
  );
});
