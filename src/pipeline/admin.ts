/**
 * Operator tasks the doors offer besides tool calls — minting dev tokens, reading and
 * verifying the audit log, checking a policy bundle — wired here so the CLI and the
 * HTTP server never reach into domain modules themselves.
 */
import { auditLookupId } from '../tracing/index.ts';
import { AirlockError } from '../core/errors.ts';
import type { AuditEvent } from '../core/types.ts';
import type { AuditStore } from '../audit/index.ts';
import type { AirlockConfig } from '../config/types.ts';
import { resolveSecretRef } from '../config/index.ts';
import type { AuditSearchPage, AuditSearchQuery, ChainHead, Checkpoint, DrillReport, LineageNode, VerifyReport } from '../audit/index.ts';
import {
  buildLineage,
  drill,
  findLineageEvents,
  readAll,
  readCheckpoint,
  readCheckpointFile,
  renderDrill,
  renderLineage,
  searchScoped,
  verifyChain,
  verifyCheckpointSignature,
} from '../audit/index.ts';
import { mintDevToken } from '../identity/index.ts';
import type { DevTokenClaims } from '../identity/index.ts';
import { CedarPolicyEngine, loadBundleFromDir } from '../policy/index.ts';
import { ToolRegistry } from '../tools/index.ts';
import { storedMcpDefinitions } from './mcp/stored.ts';
import { parseAnchor } from './audit-access.ts';
import { migratePostgres, openAuditForReading } from '../stores/index.ts';

export { parseBearer } from '../identity/index.ts';

export type { DevTokenClaims as DevTokenRequest } from '../identity/index.ts';

/** Mints a dev token with the first (or the named) HS256 issuer of a config. */
export async function mintToken(config: AirlockConfig, claims: DevTokenClaims, issuerName?: string): Promise<string> {
  const issuer = config.identity.issuers.find(
    (i) => (issuerName === undefined || i.issuer === issuerName) && i.algorithms.includes('HS256') && i.secret !== undefined,
  );
  if (issuer === undefined || issuer.secret === undefined) {
    throw new AirlockError('ERR_IDENTITY_DEV_TOKEN', 'no HS256 issuer in this config: dev tokens can only be minted for HS256 issuers', {
      status: 400,
    });
  }
  const key = await resolveSecretRef(issuer.secret, config.baseDir, { createIfMissing: issuer.createSecretIfMissing === true });
  return mintDevToken(issuer, config.identity.audience, key, claims);
}

/**
 * What the operator recorded outside the host to check the log against: `seq:hash` heads
 * (e.g. from `audit verify --json`; `0:genesis` for a log known to be new) and copies of
 * published checkpoint files (their signature is checked with the config's checkpoint key).
 */
export interface AuditAnchors {
  anchors?: readonly string[];
  checkpointFiles?: readonly string[];
}

export interface AuditLogReader {
  path: string;
  /**
   * Verifies the chain. With a checkpoint key configured the checkpoint file must exist (a
   * log with events and none fails `checkpoint_missing`, as the gateway refuses to open it;
   * an empty log with none passes only when outside anchors say it is new), and every
   * anchor must be held by the log (`truncated` / `checkpoint_mismatch` otherwise).
   */
  verify(anchors?: AuditAnchors): Promise<VerifyReport>;
  /** Lineage of any id; with `tenant`, only that tenant's events (another tenant's id answers like an unknown one). */
  trace(id: string, scope?: { tenant?: string }): Promise<{ events: AuditEvent[]; tree: LineageNode; text: string } | null>;
  /** The lineage drill of any id, scoped like trace. */
  drill(id: string, scope?: { tenant?: string }): Promise<DrillReport & { text: string }>;
  /** One page of matching events (audit/search.ts); with `tenant`, only that tenant's. */
  search(query: AuditSearchQuery, scope?: { tenant?: string }): Promise<AuditSearchPage>;
  close(): Promise<void>;
}

/** Opens a config's SQLite audit log read-only, for verification and lineage. */
export async function openAuditLog(config: AirlockConfig): Promise<AuditLogReader> {
  if (config.audit.type === 'memory') {
    throw new AirlockError('ERR_AUDIT_NOT_PERSISTENT', 'this config keeps its audit log in memory: there is nothing on disk to read', {
      status: 400,
    });
  }
  const key = config.audit.checkpointKey === undefined ? undefined : await resolveSecretRef(config.audit.checkpointKey, config.baseDir);
  const opened = await openAuditForReading(config, key === undefined ? {} : { checkpointKey: key });
  if (opened === null) throw new AirlockError('ERR_AUDIT_NOT_PERSISTENT', 'this config keeps its audit log in memory', { status: 400 });
  const { store, path } = opened;
  // SQLite keeps its signed checkpoint in a file beside the log; PostgreSQL in a table of the log's schema.
  const storedCheckpoint = async () =>
    key === undefined ? null : opened.kind === 'sqlite' ? readCheckpoint(path, key) : await (store as AuditStore & { checkpoint(): Promise<Checkpoint | null> }).checkpoint();
  const scoped = async (id: string, scope: { tenant?: string }) =>
    (await store.findRelated(id)).filter((e) => scope.tenant === undefined || e.actor.tenant === scope.tenant);
  return {
    path,
    async verify(anchors = {}) {
      const expect = outsideHeads(anchors, key);
      if (!Array.isArray(expect)) return { ok: false, checked: 0, head: await store.head(), firstBad: expect };
      const checkpoint = await storedCheckpoint();
      const report = await verifyChain(readAll(store), { ...(checkpoint === null ? {} : { checkpoint }), expect });
      if (!report.ok || key === undefined || checkpoint !== null) return report;
      if (report.head === null && expect.length > 0) return report; // an empty log the anchors call new
      const message =
        report.head === null
          ? `checkpoint file is missing and the log is empty: a new log and a wiped one look the same; pass an anchor recorded outside the host (--expect-checkpoint FILE or --anchor seq:hash)`
          : `checkpoint file is missing for a non-empty audit log (checkpoint_key is configured): it was deleted, or the log was cut back with it`;
      return { ok: false, checked: report.checked, head: report.head, firstBad: { seq: 0, reason: 'checkpoint_missing', message } };
    },
    async trace(requested, scope = {}) {
      const id = auditLookupId(requested);
      const events = await findLineageEvents((ref) => scoped(ref, scope), id);
      if (events.length === 0) return null;
      const tree = buildLineage(events, id);
      return { events, tree, text: renderLineage(tree) };
    },
    async drill(requested, scope = {}) {
      const id = auditLookupId(requested);
      const report = await drill(id, (ref) => scoped(ref, scope));
      return { ...report, text: renderDrill(report) };
    },
    search: (query, scope = {}) => (scope.tenant === undefined ? store.search(query) : searchScoped(store, query, { tenant: scope.tenant })),
    close: () => store.close(),
  };
}

/** The anchors as heads, or the fault of a published checkpoint whose signature does not hold. */
function outsideHeads(anchors: AuditAnchors, key: Uint8Array | undefined): ChainHead[] | NonNullable<VerifyReport['firstBad']> {
  const heads: ChainHead[] = [];
  for (const text of anchors.anchors ?? []) heads.push(parseAnchor(text));
  for (const file of anchors.checkpointFiles ?? []) {
    if (key === undefined) {
      throw new AirlockError('ERR_AUDIT_ANCHOR', 'a published checkpoint can only be checked with audit.checkpoint_key configured', { status: 400 });
    }
    const published = readCheckpointFile(file);
    if (published === null) throw new AirlockError('ERR_AUDIT_ANCHOR', `published checkpoint ${file} does not exist`, { status: 400 });
    if (!verifyCheckpointSignature(published, key)) {
      return { seq: published.seq, reason: 'checkpoint_mismatch', message: `published checkpoint ${file} is not signed with the checkpoint key` };
    }
    heads.push({ seq: published.seq, hash: published.hash });
  }
  return heads;
}

/**
 * Loads and strictly validates a config's policy bundle against its tool registry (with the
 * MCP tools known from the state database's pins, see mcp/stored.ts).
 */
export async function checkPolicyBundle(config: AirlockConfig): Promise<CedarPolicyEngine> {
  const registry = new ToolRegistry([...config.tools, ...(await storedMcpDefinitions(config))]);
  return CedarPolicyEngine.create({
    tools: registry.list(),
    sessionAttributes: config.sessionAttributes,
    bundle: await loadBundleFromDir(config.policy.bundleDir),
  });
}

/** `airlock db migrate`: the missing migrations of the config's PostgreSQL schema, applied under the migration lock. */
export async function migrateStores(config: AirlockConfig): Promise<{ schema: string; applied: string[]; alreadyApplied: string[] }> {
  return migratePostgres(config);
}
