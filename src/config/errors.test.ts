/**
 * Tests for config refusals: each class of error is reported with its path, the exact
 * line (and column where it matters) and a readable message; every error of a file is
 * reported at once; secrets never appear in messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AirlockError } from '../core/errors.ts';
import { formatConfigErrors, type ConfigIssue } from './errors.ts';
import { parseConfig } from './load.ts';

/** Lines are numbered from 1 in the order given, so the expected line is the array position + 1. */
function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const IDENTITY = [
  'identity:', //                         1
  '  audience: airlock', //               2
  '  issuers:', //                        3
  '    - issuer: dev', //                 4
  '      algorithms: [HS256]', //         5
  '      secret: env:DEV_SECRET', //      6
];

function failure(text: string): AirlockError {
  try {
    parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv' });
  } catch (err) {
    assert.ok(err instanceof AirlockError, 'expected an AirlockError');
    return err;
  }
  assert.fail('expected the config to be refused');
}

function issues(text: string): ConfigIssue[] {
  const err = failure(text);
  assert.equal(err.code, 'ERR_CONFIG_INVALID');
  assert.equal(err.status, 400);
  return err.details?.errors as ConfigIssue[];
}

function find(list: ConfigIssue[], path: string, message?: RegExp): ConfigIssue {
  const found = list.find((i) => i.path === path && (message === undefined || message.test(i.message)));
  assert.ok(found, `no issue at ${path} matching ${String(message)}; got ${JSON.stringify(list, null, 1)}`);
  return found;
}

/** The JavaScript property name YAML 1.2 (core schema) gives an unquoted key. */
function parseConfigKey(key: string): string {
  if (key === 'true' || key === 'false') return key;
  return String(Number(key));
}

function tool(...body: string[]): string[] {
  return ['tools:', ...body];
}

describe('config errors: schema', () => {
  it('reports an enum violation at the value, with the allowed values', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                       8
        '    side_effect: read', //                                9
        '    input_schema: { type: object }', //                   10
        '    connector: { type: function, handler: h }', //        11
        '  - name: a.two', //                                       12
        '    side_effect: read', //                                13
        '    input_schema: { type: object }', //                   14
        '    connector: { type: function, handler: h }', //        15
        '  - name: a.three', //                                     16
        '    input_schema: { type: object }', //                   17
        '    side_effect: delete', //                              18
        '    connector: { type: function, handler: h }', //        19
      ),
    );
    const err = failure(text);
    const issue = find(err.details?.errors as ConfigIssue[], 'tools[2].side_effect');
    assert.deepEqual(issue, {
      path: 'tools[2].side_effect',
      line: 18,
      column: 18,
      message: 'must be one of none, read, write, irreversible, external_send',
    });
    assert.equal(
      formatConfigErrors(err),
      'airlock.yaml:18:18 tools[2].side_effect: must be one of none, read, write, irreversible, external_send',
    );
  });

  it('reports a missing property at the line of its parent key', () => {
    const text = yaml(
      'server:', //               1
      '  port: 80', //            2
      'identity:', //             3
      '  issuers:', //            4
      '    - issuer: dev', //     5
      '      algorithms: [HS256]', // 6
      '      secret: env:X', //   7
    );
    const issue = find(issues(text), 'identity.audience');
    assert.equal(issue.line, 3);
    assert.equal(issue.message, 'is required');
  });

  it('reports a missing tool property at the first line of that tool', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                8
        '    input_schema: { type: object }', //            9
        '    connector: { type: function, handler: h }', // 10
      ),
    );
    const issue = find(issues(text), 'tools[0].side_effect');
    assert.equal(issue.line, 8);
  });

  it('refuses unknown keys (typos) at the key, with a suggestion', () => {
    const text = yaml(
      ...IDENTITY,
      '  clock_skew_secnds: 5', // 7
      'servr:', //                  8
      '  port: 1', //               9
    );
    const list = issues(text);
    const typo = find(list, 'identity.clock_skew_secnds');
    assert.equal(typo.line, 7);
    assert.equal(typo.column, 3);
    assert.match(typo.message, /unknown key \(did you mean clock_skew_seconds\?\)/);
    assert.equal(find(list, 'servr').line, 8);
  });

  it('reports type and range errors at the value', () => {
    const text = yaml(
      'server:', //                       1
      '  port: "80"', //                  2
      '  body_limit_bytes: -1', //        3
      ...IDENTITY, //                     4-9
    );
    const list = issues(text);
    assert.deepEqual(find(list, 'server.port'), { path: 'server.port', line: 2, column: 9, message: 'must be an integer' });
    assert.equal(find(list, 'server.body_limit_bytes').line, 3);
  });

  it('refuses keys that belong to another connector or store type', () => {
    const text = yaml(
      ...IDENTITY,
      'audit:', //                                   7
      '  type: memory', //                           8
      '  path: x.db', //                             9
      '  retention: { classes: { content: { max_age_days: 30 } } }', // 10
      ...tool(
        '  - name: a.one', //                        12
        '    side_effect: read', //                  13
        '    input_schema: { type: object }', //    14
        '    connector:', //                         15
        '      type: function', //                   16
        '      handler: h', //                       17
        '      url: https://example.com/', //        18
      ),
    );
    const list = issues(text);
    assert.equal(find(list, 'audit.path', /only allowed for sqlite/).line, 9);
    assert.equal(find(list, 'audit.retention', /not allowed for memory stores/).line, 10);
    assert.equal(find(list, 'tools[0].connector.url', /only allowed for http/).line, 18);
  });

  it('reports every error of the file at once, sorted by line', () => {
    const text = yaml(
      'server: { port: 99999 }', //       1
      ...IDENTITY, //                     2-7
      'approvals: { ttl_seconds: 0 }', // 8
      'kill_switch: { global: yes }', //  9
    );
    const list = issues(text);
    assert.deepEqual(
      list.map((i) => [i.path, i.line]),
      [
        ['server.port', 1],
        ['approvals.ttl_seconds', 8],
        ['kill_switch.global', 9],
      ],
    );
  });
});

describe('config errors: yaml syntax', () => {
  it('refuses broken YAML with ERR_CONFIG_SYNTAX and the line', () => {
    const err = failure(yaml('identity:', '  audience: [a, b', 'server: {'));
    assert.equal(err.code, 'ERR_CONFIG_SYNTAX');
    assert.equal(err.status, 400);
    const list = err.details?.errors as ConfigIssue[];
    assert.ok(list.length >= 1);
    assert.ok(list.every((i) => i.line >= 2 && i.line <= 4), JSON.stringify(list));
  });

  it('refuses duplicate keys at the duplicate', () => {
    const err = failure(yaml(...IDENTITY, 'server: {}', 'server: {}'));
    assert.equal(err.code, 'ERR_CONFIG_SYNTAX');
    const [issue] = err.details?.errors as ConfigIssue[];
    assert.equal(issue?.line, 8);
    assert.match(issue?.message ?? '', /unique/);
  });

  it('refuses keys that become the same property under different YAML types (1 and "1", true and "true")', () => {
    // Without the check the parser keeps both keys and the last one silently wins: here the
    // maxLength of property "1" would vanish from the tool's input_schema.
    const schema = failure(
      yaml(
        ...IDENTITY,
        'tools:', //                                          7
        '  - name: pay', //                                   8
        '    side_effect: write', //                          9
        '    connector: { type: function, handler: pay }', // 10
        '    input_schema:', //                               11
        '      type: object', //                              12
        '      properties:', //                               13
        '        1: { type: string, maxLength: 3 }', //       14
        '        "1": { type: string }', //                   15
      ),
    );
    assert.equal(schema.code, 'ERR_CONFIG_SYNTAX');
    assert.deepEqual((schema.details?.errors as ConfigIssue[]).map((i) => [i.line, i.column]), [[15, 9]]);
    const flag = failure(yaml(...IDENTITY, 'session_attributes:', '  true: String', '  "true": Long'));
    assert.equal(flag.code, 'ERR_CONFIG_SYNTAX');
    assert.equal((flag.details?.errors as ConfigIssue[])[0]?.line, 9);
  });

  it('refuses any pair of keys that stringify alike, whatever YAML spelling the first one had (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 1_000_000 }).map(String), fc.constantFrom('true', 'false', '0x1f', '1.5', '1e3')), (key) => {
        // `key` unquoted (an int, bool or float to YAML) and then quoted with the same JS property name.
        const name = String(parseConfigKey(key));
        const err = failure(yaml(...IDENTITY, 'server:', '  console:', '    oidc:', `      ${key}: a`, `      ${JSON.stringify(name)}: b`));
        assert.equal(err.code, 'ERR_CONFIG_SYNTAX', `${key} / "${name}"`);
        assert.equal((err.details?.errors as ConfigIssue[])[0]?.line, 11);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses unknown tags such as !!js/function instead of reading them as strings', () => {
    for (const tag of ['!!js/function', '!!python/object', '!custom']) {
      const err = failure(yaml(...IDENTITY, 'server:', `  host: ${tag} "function () {}"`));
      assert.equal(err.code, 'ERR_CONFIG_SYNTAX', tag);
      const [issue] = err.details?.errors as ConfigIssue[];
      assert.deepEqual([issue?.line, issue?.column], [8, 9], tag);
      assert.match(issue?.message ?? '', /tag/i);
    }
  });

  it('refuses null, collection and alias mapping keys at the key', () => {
    for (const key of ['~', '? [a, b]\n ', '*name']) {
      const lines = key === '*name' ? ['x: &name host', 'server:', '  *name : a'] : ['server:', `  ${key.replace('\n ', '')}: a`];
      const err = failure(yaml(...IDENTITY, ...lines));
      assert.equal(err.code, 'ERR_CONFIG_SYNTAX', key);
      const issue = (err.details?.errors as ConfigIssue[]).find((i) => /mapping key/.test(i.message));
      assert.ok(issue, `${key}: ${JSON.stringify(err.details)}`);
      assert.equal(issue.line, IDENTITY.length + lines.length, key);
    }
  });

  it('points an alias bomb at its first alias, not at line 1', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const name of ['b', 'c', 'd', 'e', 'f', 'g']) {
      const prev = String.fromCharCode(name.charCodeAt(0) - 1);
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const err = failure(yaml(...IDENTITY, ...bomb));
    assert.equal(err.code, 'ERR_CONFIG_SYNTAX');
    assert.deepEqual((err.details?.errors as ConfigIssue[]).map((i) => i.line), [8]);
  });

  it('refuses a document that is not a mapping', () => {
    assert.equal(find(issues(yaml('- a', '- b')), '').message, 'must be an object');
  });
});

describe('config errors: tools', () => {
  const base = (name: string, extra: string[] = []) =>
    yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                8
        '    side_effect: read', //                          9
        '    input_schema: { type: object }', //            10
        '    connector: { type: function, handler: h }', // 11
        `  - name: ${name}`, //                              12
        '    side_effect: read', //                          13
        '    input_schema: { type: object }', //            14
        '    connector: { type: function, handler: h }', // 15
        ...extra,
      ),
    );

  it('refuses a duplicate tool name at the second definition, naming the first line', () => {
    const issue = find(issues(base('a.one')), 'tools[1].name');
    assert.equal(issue.line, 12);
    assert.match(issue.message, /duplicate tool name \(first defined at line 8\)/);
  });

  it('refuses a tool named like a side-effect class', () => {
    const issue = find(issues(base('irreversible')), 'tools[1].name');
    assert.equal(issue.line, 12);
    assert.match(issue.message, /side-effect class/);
  });

  it('refuses an input_schema that does not compile in ajv strict mode, pointing at the keyword', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                8
        '    side_effect: read', //                          9
        '    input_schema:', //                              10
        '      type: object', //                             11
        '      properties:', //                              12
        '        id:', //                                    13
        '          type: string', //                         14
        '          maxLenght: 3', //                         15
        '    connector: { type: function, handler: h }', // 16
      ),
    );
    const issue = find(issues(text), 'tools[0].input_schema');
    assert.equal(issue.line, 15);
    assert.match(issue.message, /does not compile: strict mode: unknown keyword: "maxLenght"/);
  });

  it('refuses an invalid type inside input_schema at that line', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                   8
        '    side_effect: read', //                             9
        '    input_schema:', //                                 10
        '      type: object', //                                11
        '      properties:', //                                 12
        '        id: { type: strng }', //                       13
        '    connector: { type: function, handler: h }', //    14
      ),
    );
    const issue = find(issues(text), 'tools[0].input_schema');
    assert.equal(issue.line, 13);
    assert.match(issue.message, /does not compile: schema is invalid/);
  });

  it('refuses an input_schema whose type is not object', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                8
        '    side_effect: read', //                          9
        '    input_schema: { type: string }', //            10
        '    connector: { type: function, handler: h }', // 11
      ),
    );
    const issue = find(issues(text), 'tools[0].input_schema', /type: object/);
    assert.equal(issue.line, 10);
  });

  it('refuses resource.argument that is not a property of the input schema', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                                  8
        '    side_effect: read', //                                            9
        '    input_schema: { type: object, properties: { id: { type: string } } }', // 10
        '    resource:', //                                                    11
        '      type: Customer', //                                             12
        '      argument: customer_id', //                                      13
        '      resolver: owner', //                                            14
        '    connector: { type: function, handler: h }', //                   15
      ),
    );
    const issue = find(issues(text), 'tools[0].resource.argument');
    assert.deepEqual(issue, {
      path: 'tools[0].resource.argument',
      line: 13,
      column: 17,
      message: 'must name a property of input_schema (declared: id)',
    });
  });

  it('accepts a dotted resource.argument into a nested object', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one',
        '    side_effect: read',
        '    input_schema: { type: object, properties: { c: { type: object, properties: { id: { type: string } } } } }',
        '    resource: { type: Customer, argument: c.id, resolver: owner }',
        '    connector: { type: function, handler: h }',
      ),
    );
    const config = parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv' });
    assert.equal(config.tools[0]?.resource?.argument, 'c.id');
  });

  it('requires a resolver for a tenant-bound tool with a target argument', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                                  8
        '    side_effect: write', //                                           9
        '    input_schema: { type: object, properties: { id: { type: string } } }', // 10
        '    resource:', //                                                    11
        '      type: Customer', //                                             12
        '      argument: id', //                                               13
        '    connector: { type: function, handler: h }', //                   14
      ),
    );
    const issue = find(issues(text), 'tools[0].resource.resolver');
    assert.equal(issue.line, 11);
    assert.match(issue.message, /tenant-bound/);
  });

  it('does not require a resolver when tenant_binding is none', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one',
        '    side_effect: write',
        '    tenant_binding: none',
        '    input_schema: { type: object, properties: { id: { type: string } } }',
        '    resource: { type: Customer, argument: id }',
        '    connector: { type: function, handler: h }',
      ),
    );
    assert.equal(parseConfig(text, { filename: 'a', baseDir: '/' }).tools[0]?.tenantBinding, 'none');
  });

  it('refuses affected_count with more than one way to count', () => {
    const text = base('a.two', ['    affected_count: { const: 1, resolver: r }']); // 16
    const issue = find(issues(text), 'tools[1].affected_count');
    assert.equal(issue.line, 16);
    assert.match(issue.message, /exactly one of const, count_of, resolver/);
  });

  it('refuses non-http(s) connector URLs, host placeholders and unknown placeholders', () => {
    const text = yaml(
      ...IDENTITY,
      ...tool(
        '  - name: a.one', //                                                           8
        '    side_effect: read', //                                                     9
        '    input_schema: { type: object, properties: { id: { type: string } } }', // 10
        '    connector: { type: http, method: GET, url: "ftp://files.example.com/{id}" }', // 11
        '  - name: a.two', //                                                           12
        '    side_effect: read', //                                                     13
        '    input_schema: { type: object, properties: { id: { type: string } } }', // 14
        '    connector:', //                                                            15
        '      type: http', //                                                          16
        '      method: GET', //                                                         17
        '      url: "https://{id}.example.com/x/{other}"', //                           18
      ),
    );
    const list = issues(text);
    assert.equal(find(list, 'tools[0].connector.url', /must use http or https/).line, 11);
    assert.equal(find(list, 'tools[1].connector.url', /never choose the host/).line, 18);
    assert.equal(find(list, 'tools[1].connector.url', /\{other\} does not name a property/).line, 18);
  });

  it('refuses a literal credential in a connector header without echoing it', () => {
    const text = base('a.two', [
      '  - name: a.three', //                                                      16
      '    side_effect: read', //                                                17
      '    input_schema: { type: object }', //                                  18
      '    connector:', //                                                       19
      '      type: http', //                                                     20
      '      method: GET', //                                                    21
      '      url: https://api.example.com/', //                                  22
      '      headers: { Accept: application/json, X-Api-Key: sk-live-123456 }', // 23
    ]);
    const err = failure(text);
    const issue = find(err.details?.errors as ConfigIssue[], 'tools[2].connector.headers["X-Api-Key"]');
    assert.equal(issue.line, 23);
    assert.doesNotMatch(formatConfigErrors(err), /sk-live/);
  });
});

describe('config errors: issuers and secrets', () => {
  const issuer = (...lines: string[]) =>
    yaml(
      'identity:', //             1
      '  audience: airlock', //   2
      '  issuers:', //            3
      ...lines, //                4...
    );

  it('requires a secret for HS256 (at the issuer)', () => {
    const issue = find(issues(issuer('    - issuer: dev', '      algorithms: [HS256]')), 'identity.issuers[0].secret');
    assert.equal(issue.line, 4);
    assert.match(issue.message, /required for HS256/);
  });

  it('requires jwks_file or jwks_url for asymmetric algorithms', () => {
    const list = issues(issuer('    - issuer: idp', '      algorithms: [RS256]', '    - issuer: b', '      algorithms: [EdDSA]'));
    assert.equal(find(list, 'identity.issuers[0].jwks_file').line, 4);
    assert.equal(find(list, 'identity.issuers[1].jwks_file').line, 6);
  });

  it('refuses HS256 mixed with asymmetric algorithms in one issuer', () => {
    const issue = find(
      issues(issuer('    - issuer: idp', '      algorithms: [RS256, HS256]', '      secret: env:S', '      jwks_file: k.json')),
      'identity.issuers[0].algorithms',
      /HS256 cannot be combined/,
    );
    assert.equal(issue.line, 5);
  });

  it('refuses plain-http JWKS URLs except on loopback', () => {
    const list = issues(
      issuer(
        '    - issuer: a', //                                         4
        '      algorithms: [RS256]', //                               5
        '      jwks_url: http://idp.example.com/jwks', //             6
        '    - issuer: b', //                                         7
        '      algorithms: [ES256]', //                               8
        '      jwks_url: http://127.0.0.1:8080/jwks', //              9
        '    - issuer: c', //                                         10
        '      algorithms: [ES256]', //                               11
        '      jwks_url: https://idp.example.com/jwks', //            12
      ),
    );
    assert.equal(list.length, 1, JSON.stringify(list));
    assert.equal(find(list, 'identity.issuers[0].jwks_url', /must use https/).line, 6);
  });

  it('refuses an empty or repeated tenants list at its line', () => {
    const list = issues(
      issuer(
        '    - issuer: a', //                 4
        '      algorithms: [HS256]', //       5
        '      secret: env:A', //             6
        '      tenants: []', //               7
        '    - issuer: b', //                 8
        '      algorithms: [HS256]', //       9
        '      secret: env:B', //             10
        '      tenants: [acme, acme]', //     11
      ),
    );
    assert.equal(find(list, 'identity.issuers[0].tenants', /must not be empty/).line, 7);
    assert.equal(find(list, 'identity.issuers[1].tenants[1]', /repeats item 0/).line, 11);
  });

  it('refuses a literal secret with a clear message that does not echo it', () => {
    const err = failure(issuer('    - issuer: dev', '      algorithms: [HS256]', '      secret: correct-horse-battery-staple'));
    const issue = find(err.details?.errors as ConfigIssue[], 'identity.issuers[0].secret');
    assert.equal(issue.line, 6);
    assert.equal(issue.column, 15);
    assert.match(issue.message, /must be a secret reference \(env:NAME or file:PATH\); literal secrets are not allowed/);
    assert.doesNotMatch(JSON.stringify(err.toJSON()) + formatConfigErrors(err), /horse/);
  });

  it('refuses a literal audit checkpoint key', () => {
    const text = yaml(...IDENTITY, 'audit:', '  type: sqlite', '  checkpoint_key: abc123'); // 9
    assert.equal(find(issues(text), 'audit.checkpoint_key').line, 9);
  });

  it('refuses duplicate issuers', () => {
    const text = issuer(
      '    - issuer: dev', //          4
      '      algorithms: [HS256]', //  5
      '      secret: env:A', //        6
      '    - issuer: dev', //          7
      '      algorithms: [HS256]', //  8
      '      secret: env:B', //        9
    );
    const issue = find(issues(text), 'identity.issuers[1].issuer');
    assert.equal(issue.line, 7);
    assert.match(issue.message, /first defined at line 4/);
  });

  it('never echoes a literal secret, whatever it is (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9+/]{12,40}$/), (secret) => {
        const err = failure(issuer('    - issuer: dev', '      algorithms: [HS256]', `      secret: "${secret}"`));
        return !formatConfigErrors(err).includes(secret) && !JSON.stringify(err.toJSON()).includes(secret);
      }),
      { numRuns: 50 },
    );
  });
});

describe('config errors: context', () => {
  it('points at the line of each context problem', () => {
    const text = yaml(
      ...IDENTITY,
      'context:', //                                          7
      '  trust_tiers: [system, staff, external]', //          8
      '  trusted_tiers: [staff]', //                          9
      '  sources:', //                                        10
      '    - id: kb', //                                      11
      '      owner: team', //                                12
      '      trust_tier: vendor', //                         13
      '      classification: secret', //                     14
      '      use_cases: [answer]', //                        15
      '      max_age_seconds: 60', //                        16
      '      redact: [email, dna]', //                       17
      '    - id: kb', //                                      18
      '      owner: team', //                                19
      '      trust_tier: external', //                       20
      '      classification: public', //                     21
      '      use_cases: []', //                              22
      '      max_age_seconds: 60', //                        23
      '  budgets: { externall: 10 }', //                     24
      '  alerts: { window_seconds: 0 }', //                  25
    );
    const list = issues(text);
    assert.equal(find(list, 'context.trust_tiers', /`user`/).line, 8);
    assert.equal(find(list, 'context.trusted_tiers', /most trusted/).line, 9);
    assert.equal(find(list, 'context.sources[0].trust_tier', /system, staff, external/).line, 13);
    assert.equal(find(list, 'context.sources[0].classification').line, 14);
    assert.equal(find(list, 'context.sources[0].redact[1]').line, 17);
    assert.equal(find(list, 'context.sources[1].id', /first defined at line 11/).line, 18);
    assert.equal(find(list, 'context.sources[1].use_cases').line, 22);
    assert.equal(find(list, 'context.budgets.externall', /not a trust tier/).line, 24);
    assert.equal(find(list, 'context.alerts.window_seconds').line, 25);
  });
});

describe('config errors: memory', () => {
  it('points at a memory kind whose schema does not compile, and at a bad kind name', () => {
    const text = yaml(
      ...IDENTITY,
      'memory:', //                                7
      '  kinds:', //                               8
      '    note:', //                              9
      '      schema:', //                          10
      '        type: object', //                   11
      '        properties:', //                    12
      '          text: { type: strng }', //        13
      '    9lives:', //                            14
      '      schema: { type: object }', //         15
    );
    const list = issues(text);
    assert.equal(find(list, 'memory.kinds.note.schema', /does not compile/).line, 13);
    assert.ok(list.some((i) => i.path.startsWith('memory.kinds') && /kind names/.test(i.message)));
  });
});

describe('formatConfigErrors', () => {
  it('renders non-config errors as code and message', () => {
    const err = new AirlockError('ERR_CONFIG_NOT_FOUND', 'config file x does not exist');
    assert.equal(formatConfigErrors(err), 'ERR_CONFIG_NOT_FOUND: config file x does not exist');
  });
});
