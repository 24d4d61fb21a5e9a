/**
 * Bundle loading and refusal: parse errors with file and line, missing and duplicate
 * `@id`, strict validation errors, bad annotations, templates; the bundle version; and
 * reading a bundle directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import { bundleVersion, compileBundle } from './compile.ts';
import { CedarPolicyEngine } from './engine.ts';
import { loadBundleFromDir } from './load.ts';
import { generateCedarSchema } from './schema.ts';
import { fakeTool } from './testing.ts';
import type { PolicyBundleSource, PolicyDiagnostic } from './types.ts';

const TOOLS = [
  fakeTool('crm.getCustomer', 'read', { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }),
  fakeTool('billing.refund', 'irreversible', { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] }),
];

function refusal(files: Record<string, string>): PolicyDiagnostic[] {
  try {
    CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: {}, bundle: { files } });
  } catch (error) {
    assert.ok(error instanceof AirlockError);
    assert.equal(error.code, 'ERR_POLICY_INVALID');
    assert.equal(error.status, 400);
    return (error.details as { diagnostics: PolicyDiagnostic[] }).diagnostics;
  }
  assert.fail('bundle was accepted');
}

const OK = '@id("ok") permit (principal, action in Airlock::Action::"read", resource);\n';

test('a parse error is reported with its file and line', () => {
  const diagnostics = refusal({
    'a.cedar': OK,
    'b.cedar': '// header\n@id("b")\npermit (principal, action, resource)\nwhen { context. };\n',
  });
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]?.file, 'b.cedar');
  assert.equal(diagnostics[0]?.line, 4);
  assert.match(diagnostics[0]?.message ?? '', /unexpected token/);
});

test('lines count UTF-8 text correctly', () => {
  const diagnostics = refusal({ 'a.cedar': '@reason("é ü ✓")\n@id("x")\npermit (principal, action, resource)\nwhen { context.nope };\n' });
  assert.ok(diagnostics.length > 0);
  assert.ok(diagnostics.every((d) => d.file === 'a.cedar' && d.line === 4 && d.policy_id === 'x'));
});

test('a policy without @id is refused, at the line where it starts', () => {
  const diagnostics = refusal({ 'a.cedar': `${OK}\n\n  permit (principal, action, resource);\n` });
  assert.deepEqual(diagnostics, [{ file: 'a.cedar', line: 4, message: 'policy has no @id annotation' }]);
});

test('a duplicate @id is refused, naming the first use', () => {
  const diagnostics = refusal({ 'a.cedar': OK, 'b/c.cedar': `\n${OK}` });
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]?.file, 'b/c.cedar');
  assert.equal(diagnostics[0]?.line, 2);
  assert.equal(diagnostics[0]?.policy_id, 'ok');
  assert.match(diagnostics[0]?.message ?? '', /duplicate @id "ok" \(first used in a\.cedar line 1\)/);
});

test('strict validation errors are refused with file, line and policy id', () => {
  const diagnostics = refusal({
    'a.cedar': `${OK}@id("bad")\npermit (principal, action == Airlock::Action::"crm.getCustomer", resource)\nwhen {\n  context.tool_call.parameters.nope == 1\n};\n`,
  });
  assert.ok(diagnostics.length >= 1);
  assert.deepEqual(
    { file: diagnostics[0]?.file, line: diagnostics[0]?.line, policy_id: diagnostics[0]?.policy_id },
    { file: 'a.cedar', line: 5, policy_id: 'bad' },
  );
  assert.match(diagnostics[0]?.message ?? '', /nope/);
});

test('unknown entity types, unknown actions and unguarded optional attributes are refused', () => {
  assert.ok(refusal({ 'a.cedar': '@id("x") permit (principal is Airlock::Robot, action, resource);' }).length > 0);
  assert.ok(refusal({ 'a.cedar': '@id("x") permit (principal, action == Airlock::Action::"nope", resource);' }).length > 0);
  assert.ok(refusal({ 'a.cedar': '@id("x") permit (principal, action, resource) when { principal.agent == "a" };' }).length > 0);
});

test('bad annotations refuse the bundle', () => {
  const cases: Array<[string, RegExp]> = [
    ['@id("a") @credential_ttl("0") permit (principal, action, resource);', /@credential_ttl must be a positive/],
    ['@id("a") @credential_ttl("10s") permit (principal, action, resource);', /@credential_ttl must be a positive/],
    ['@id("a") @credential_ttl("-5") permit (principal, action, resource);', /@credential_ttl must be a positive/],
    ['@id("a") @credential_ttl("99999999999999999999") permit (principal, action, resource);', /@credential_ttl must be a positive/],
    ['@id("a") @credential_ttl("60") forbid (principal, action, resource);', /only meaningful on a permit/],
    ['@id("a") @credential_scope("x") forbid (principal, action, resource);', /only meaningful on a permit/],
    ['@id("a") @check("params") forbid (principal, action, resource);', /@check must be/],
    ['@id("a") @approval forbid (principal, action, resource);', /@approval needs a non-empty value/],
    ['@id("") permit (principal, action, resource);', /@id needs a non-empty value/],
    ['@id("builtin.x") permit (principal, action, resource);', /reserved prefix/],
  ];
  for (const [text, pattern] of cases) {
    const diagnostics = refusal({ 'a.cedar': text });
    assert.ok(diagnostics.some((d) => pattern.test(d.message)), `${text}: ${JSON.stringify(diagnostics)}`);
  }
});

test('templates are refused', () => {
  const diagnostics = refusal({ 'a.cedar': '@id("t") permit (principal == ?principal, action, resource);' });
  assert.match(diagnostics[0]?.message ?? '', /template/);
});

test('one load reports every problem of every file', () => {
  const diagnostics = refusal({
    'a.cedar': 'permit (principal, action, resource) when { context.nope };',
    'b.cedar': '@id("b") permit (principal, action, resource) when { x == };',
    'c.cedar': '@id("c") @check("nope") permit (principal, action, resource);',
  });
  const files = diagnostics.map((d) => d.file);
  assert.ok(files.includes('a.cedar') && files.includes('b.cedar') && files.includes('c.cedar'));
  assert.ok(diagnostics.some((d) => d.file === 'a.cedar' && /nope/.test(d.message) && d.policy_id === undefined));
});

test('strings and comments holding ; or // do not confuse policy boundaries', () => {
  const text = `// a comment; with a semicolon
@id("semi;colon") @reason("a \\" quoted; // reason")
permit (principal, action, resource) when { context.tool_call.tool like "*;//*" || true };
@id("second") forbid (principal, action, resource) when { context.tool_call.tool == "x;y" };`;
  const e = CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: {}, bundle: { files: { 'a.cedar': text } } });
  assert.deepEqual(e.policies().map((p) => [p.id, p.line, p.reason]), [
    ['semi;colon', 2, 'a " quoted; // reason'],
    ['second', 4, undefined],
  ]);
});

test('an empty bundle is valid and denies everything', () => {
  const e = CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: {}, bundle: { files: {} } });
  assert.deepEqual(e.policies(), []);
});

test('validator warnings do not refuse the bundle but are kept', () => {
  const e = CedarPolicyEngine.create({
    tools: TOOLS,
    sessionAttributes: {},
    bundle: { files: { 'a.cedar': '@id("never") permit (principal, action == Airlock::Action::"read", resource);' } },
  });
  assert.ok(e.warnings.some((w) => w.policy_id === 'never'));
});

test('the version is sha256 over canonical JSON, whatever the file order', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(fc.string({ minLength: 1 }), fc.string()), { selector: ([k]) => k, maxLength: 6 }),
      (entries) => {
        const forward: Record<string, string> = {};
        for (const [k, v] of entries) forward[k] = v;
        const backward: Record<string, string> = {};
        for (const [k, v] of [...entries].reverse()) backward[k] = v;
        const a = bundleVersion({ files: forward });
        assert.equal(a, bundleVersion({ files: backward }));
        assert.match(a, /^sha256:[0-9a-f]{64}$/);
      },
    ),
  );
  assert.notEqual(bundleVersion({ files: { 'a.cedar': 'x' } }), bundleVersion({ files: { 'a.cedar': 'y' } }));
  assert.notEqual(bundleVersion({ files: { 'a.cedar': 'x' } }), bundleVersion({ files: { 'b.cedar': 'x' } }));
});

test('compiled policy order and version do not depend on key insertion order', () => {
  const schema = generateCedarSchema(TOOLS, {});
  const files = { 'b.cedar': '@id("b") permit (principal, action, resource);', 'a.cedar': '@id("a") permit (principal, action, resource);' };
  const one = compileBundle({ files }, schema);
  const two = compileBundle({ files: { 'a.cedar': files['a.cedar'], 'b.cedar': files['b.cedar'] } }, schema);
  assert.ok(one.ok && two.ok);
  assert.equal(one.version, two.version);
  assert.deepEqual(one.policies.map((p) => p.id), ['a', 'b']);
  assert.deepEqual(two.policies.map((p) => p.id), ['a', 'b']);
});

test('loadBundleFromDir reads *.cedar recursively with posix relative paths, in name order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-policy-'));
  try {
    await mkdir(join(dir, 'z', 'deep'), { recursive: true });
    await writeFile(join(dir, 'b.cedar'), 'B');
    await writeFile(join(dir, 'a.cedar'), 'A');
    await writeFile(join(dir, 'z', 'deep', 'c.cedar'), 'C');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    await writeFile(join(dir, 'z', 'x.cedar.bak'), 'ignored');
    const bundle: PolicyBundleSource = await loadBundleFromDir(dir);
    assert.deepEqual(Object.keys(bundle.files), ['a.cedar', 'b.cedar', 'z/deep/c.cedar']);
    assert.deepEqual(Object.values(bundle.files), ['A', 'B', 'C']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await assert.rejects(loadBundleFromDir(join(dir, 'gone')), (err) => isAirlockError(err) && err.code === 'ERR_POLICY_BUNDLE_UNREADABLE');
});
