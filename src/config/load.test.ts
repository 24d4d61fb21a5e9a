/**
 * Tests for loading a valid airlock.yaml: every key mapped to its camelCase field, defaults
 * applied to a minimal file, relative paths resolved against the config's directory, and
 * tool JSON Schemas kept exactly as written.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, parseConfig } from './load.ts';

const here = import.meta.dirname;
const minimal = `
identity:
  audience: airlock
  issuers:
    - issuer: dev
      algorithms: [HS256]
      secret: env:AIRLOCK_DEV_SECRET
`;

describe('loadConfig: full config', () => {
  it('maps every key of testdata/full.yaml', async () => {
    const config = await loadConfig(join(here, 'testdata/full.yaml'));
    assert.equal(config.source, join(here, 'testdata/full.yaml'));
    assert.equal(config.baseDir, join(here, 'testdata'));
    assert.deepEqual(config.server, {
      host: '0.0.0.0',
      port: 9000,
      bodyLimitBytes: 262144,
      metrics: { enabled: true, token: null },
      console: { enabled: true, oidc: { issuer: 'https://idp.example.com/', clientId: 'airlock-console', scope: 'openid profile' } },
    });
    assert.equal(config.identity.audience, 'airlock');
    assert.equal(config.identity.clockSkewSeconds, 10);
    assert.equal(config.identity.maxTokenAgeSeconds, 3600);
    assert.deepEqual(config.identity.issuers, [
      {
        issuer: 'https://idp.example.com/',
        algorithms: ['RS256', 'ES256'],
        jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
        tenantClaim: 'https://example.com/tenant',
        rolesClaim: 'realm_access.roles',
      },
      {
        issuer: 'airlock-dev',
        algorithms: ['HS256'],
        secret: 'file:secrets/dev-hs256.key',
        createSecretIfMissing: true,
        tenantClaim: 'tenant',
        rolesClaim: 'roles',
      },
      {
        issuer: 'partner',
        algorithms: ['EdDSA'],
        jwksFile: join(here, 'testdata/keys/partner.jwks.json'),
        tenantClaim: 'tenant',
        rolesClaim: 'roles',
        tenants: ['partner-co', 'partner-labs'],
      },
    ]);
    assert.deepEqual(config.policy, { bundleDir: join(here, 'testdata/policies'), timeoutMs: 25 });
    assert.deepEqual(config.audit, {
      type: 'sqlite',
      path: '/var/lib/airlock/audit.db',
      checkpointKey: 'env:AIRLOCK_CHECKPOINT_KEY',
    });
    assert.deepEqual(config.state, { type: 'memory' });
    assert.deepEqual(config.limits, {
      perUser: { windowSeconds: 60, max: 120 },
      perTool: { windowSeconds: 60, max: 600 },
      perTenant: { windowSeconds: 60, max: 1000 },
      perSession: { windowSeconds: 600, max: 200 },
    });
    assert.deepEqual(config.killSwitch, {
      global: false,
      tenants: ['suspended-co'],
      tools: ['mail.send'],
      agents: ['agent-rogue'],
      connectors: ['http'],
    });
    assert.deepEqual(config.approvals, { ttlSeconds: 600 });
    assert.deepEqual(config.sessions, { required: true });
    assert.deepEqual(config.sessionAttributes, { use_case: 'String', risk_score: 'Long', human_present: 'Bool' });
    assert.deepEqual(config.runtime, { modelId: 'claude-sonnet', configId: 'cfg-2026-01' });
    assert.equal(config.handlersModule, join(here, 'testdata/handlers.ts'));
    assert.deepEqual(config.egress, {
      maxRedirects: 2,
      allow: [
        { id: 'mail-api', host: 'mail.internal.example.com', schemes: ['https'], addresses: ['10.40.0.0/16'] },
        { id: 'tickets', host: '*.example.com', ports: [443] },
      ],
    });
    assert.equal(config.tools.length, 3);
    assert.deepEqual(config.context, {
      trustTiers: ['system', 'user', 'internal', 'partner', 'external'],
      trustedTiers: ['system', 'user'],
      classifications: ['public', 'internal', 'confidential'],
      sources: [
        { id: 'kb', owner: 'support-team', trustTier: 'internal', classification: 'internal', useCases: ['support_answer', 'triage'], maxAgeSeconds: 86400, redact: ['email', 'secret'] },
        { id: 'web', owner: 'search', trustTier: 'external', classification: 'public', useCases: ['*'], maxAgeSeconds: 3600, redact: [] },
      ],
      budgets: { internal: 16000, external: 4000 },
      alerts: { windowSeconds: 120, threshold: 3 },
    });
    assert.deepEqual(config.memory, {
      reviewerRole: 'knowledge-steward',
      maxTtlSeconds: 604800,
      kinds: {
        preference: {
          maxTtlSeconds: 86400,
          schema: { type: 'object', required: ['topic', 'value'], properties: { topic: { type: 'string' }, value: { type: 'string', maxLength: 500 } } },
        },
      },
    });
  });

  it('maps tools and keeps their JSON Schemas verbatim (no key mapping inside)', async () => {
    const config = await loadConfig(join(here, 'testdata/full.yaml'));
    const [get, send, close] = config.tools;
    assert.deepEqual(get, {
      name: 'crm.getCustomer',
      description: 'Read one customer record.',
      sideEffect: 'read',
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['customer_id'],
        properties: { customer_id: { type: 'string', pattern: '^cus_[a-z0-9]+$' } },
      },
      outputSchema: { type: 'object' },
      resource: { type: 'Customer', argument: 'customer_id', resolver: 'crm.customerOwner' },
      affectedCount: { const: 1 },
      tenantBinding: 'principal',
      idempotent: true,
      timeoutMs: 2000,
      connector: { type: 'function', handler: 'crm.getCustomer' },
      outputTrust: 'untrusted',
    });
    assert.equal(send?.tenantBinding, 'none');
    assert.deepEqual(send?.affectedCount, { count_of: 'to' });
    assert.deepEqual(send?.connector, {
      type: 'http',
      method: 'POST',
      url: 'https://mail.internal.example.com/v1/send',
      headers: { 'content-type': 'application/json', authorization: 'env:MAIL_API_TOKEN' },
    });
    assert.equal(close?.connector.type, 'http');
    assert.equal(close?.idempotent, false);
  });
});

describe('parseConfig: defaults', () => {
  it('fills every default into a minimal config', () => {
    const config = parseConfig(minimal, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
    assert.equal(config.source, '/srv/airlock/airlock.yaml');
    assert.equal(config.baseDir, '/srv/airlock');
    assert.deepEqual(config.server, { host: '127.0.0.1', port: 8787, bodyLimitBytes: 1048576, metrics: { enabled: true, token: null }, console: { enabled: true } });
    assert.equal(config.identity.clockSkewSeconds, 30);
    assert.equal(config.identity.maxTokenAgeSeconds, 86400);
    assert.equal(config.identity.issuers[0]?.tenantClaim, 'tenant');
    assert.equal(config.identity.issuers[0]?.rolesClaim, 'roles');
    assert.equal(config.identity.issuers[0]?.createSecretIfMissing, undefined);
    assert.deepEqual(config.policy, { bundleDir: '/srv/airlock/policies', timeoutMs: 250 });
    assert.deepEqual(config.audit, { type: 'sqlite', path: '/srv/airlock/.airlock/audit.db' });
    assert.deepEqual(config.state, { type: 'sqlite', path: '/srv/airlock/.airlock/state.db' });
    assert.deepEqual(config.limits, {});
    assert.deepEqual(config.killSwitch, { global: false, tenants: [], tools: [], agents: [], connectors: [] });
    assert.deepEqual(config.approvals, { ttlSeconds: 900 });
    assert.deepEqual(config.sessionAttributes, {});
    assert.deepEqual(config.sessions, { required: false });
    assert.deepEqual(config.tools, []);
    assert.deepEqual(config.runtime, { modelId: null, configId: null });
    assert.equal(config.handlersModule, undefined);
    assert.deepEqual(config.context, {
      trustTiers: ['system', 'user', 'internal', 'external'],
      classifications: ['public', 'internal', 'confidential', 'restricted'],
      sources: [],
      budgets: {},
      alerts: { windowSeconds: 300, threshold: 5 },
    });
    assert.deepEqual(config.memory, { reviewerRole: 'memory-reviewer', maxTtlSeconds: 7776000, kinds: {} });
  });

  it('defaults tool fields: tenant binding principal, not idempotent, 10 s timeout, empty description', () => {
    const text = `${minimal}
tools:
  - name: notes.read
    side_effect: read
    input_schema: { type: object }
    connector: { type: function, handler: notes.read }
`;
    const [tool] = parseConfig(text, { filename: 'airlock.yaml', baseDir: '/x' }).tools;
    assert.deepEqual(tool, {
      name: 'notes.read',
      description: '',
      inputSchema: { type: 'object' },
      sideEffect: 'read',
      tenantBinding: 'principal',
      idempotent: false,
      timeoutMs: 10000,
      connector: { type: 'function', handler: 'notes.read' },
    });
  });

  it('resolves relative paths against baseDir and keeps absolute ones', () => {
    const text = `
identity:
  audience: a
  issuers:
    - issuer: p
      algorithms: [RS256]
      jwks_file: ../keys/p.json
policy: { bundle_dir: ./bundle }
audit: { type: sqlite, path: data/audit.db }
state: { type: sqlite, path: /abs/state.db }
`;
    const config = parseConfig(text, { filename: 'airlock.yaml', baseDir: '/etc/airlock/conf' });
    assert.equal(config.identity.issuers[0]?.jwksFile, '/etc/airlock/keys/p.json');
    assert.equal(config.policy.bundleDir, '/etc/airlock/conf/bundle');
    assert.deepEqual(config.audit, { type: 'sqlite', path: '/etc/airlock/conf/data/audit.db' });
    assert.deepEqual(config.state, { type: 'sqlite', path: '/abs/state.db' });
  });

  it('accepts memory stores and null runtime ids', () => {
    const text = `${minimal}
audit: { type: memory }
state: { type: memory }
runtime: { model_id: null, config_id: cfg }
`;
    const config = parseConfig(text, { filename: 'airlock.yaml', baseDir: '/x' });
    assert.deepEqual(config.audit, { type: 'memory' });
    assert.deepEqual(config.state, { type: 'memory' });
    assert.deepEqual(config.runtime, { modelId: null, configId: 'cfg' });
  });

  it('keeps <inline> as the source of text with no file', () => {
    const config = parseConfig(minimal, { filename: '<inline>', baseDir: '/x' });
    assert.equal(config.source, '<inline>');
  });
});

describe('loadConfig: files', () => {
  it('resolves paths against the directory of the file it reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-config-'));
    await writeFile(join(dir, 'airlock.yaml'), minimal);
    const config = await loadConfig(join(dir, 'airlock.yaml'));
    assert.equal(config.baseDir, dir);
    assert.equal(config.source, join(dir, 'airlock.yaml'));
    assert.equal(config.audit.type === 'sqlite' && config.audit.path, join(dir, '.airlock/audit.db'));
  });

  it('refuses a missing file with ERR_CONFIG_NOT_FOUND', async () => {
    await assert.rejects(loadConfig(join(tmpdir(), 'no-such-dir-airlock', 'airlock.yaml')), {
      code: 'ERR_CONFIG_NOT_FOUND',
      status: 400,
    });
  });
});
