/**
 * Operator tasks the doors offer besides tool calls — minting dev tokens, reading and
 * verifying the audit log, checking a policy bundle — wired here so the CLI and the
 * HTTP server never reach into domain modules themselves.
 */
import { AirlockError } from '../core/errors.ts';
import type { AuditEvent } from '../core/types.ts';
import type { AirlockConfig } from '../config/types.ts';
import { resolveSecretRef } from '../config/index.ts';
import type { DrillReport, LineageNode, VerifyReport } from '../audit/index.ts';
import { SqliteAuditStore, buildLineage, drill, findLineageEvents, readAll, readCheckpoint, renderDrill, renderLineage, verifyChain } from '../audit/index.ts';
import { mintDevToken } from '../identity/index.ts';
import type { DevTokenClaims } from '../identity/index.ts';
import { CedarPolicyEngine, loadBundleFromDir } from '../policy/index.ts';
import { ToolRegistry } from '../tools/index.ts';
import { storedMcpDefinitions } from './mcp/stored.ts';

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

export interface AuditLogReader {
  path: string;
  verify(): Promise<VerifyReport>;
  /** Lineage of any id; with `tenant`, only that tenant's events (another tenant's id answers like an unknown one). */
  trace(id: string, scope?: { tenant?: string }): Promise<{ events: AuditEvent[]; tree: LineageNode; text: string } | null>;
  /** The lineage drill of any id, scoped like trace. */
  drill(id: string, scope?: { tenant?: string }): Promise<DrillReport & { text: string }>;
  close(): Promise<void>;
}

/** Opens a config's SQLite audit log read-only, for verification and lineage. */
export async function openAuditLog(config: AirlockConfig): Promise<AuditLogReader> {
  if (config.audit.type !== 'sqlite') {
    throw new AirlockError('ERR_AUDIT_NOT_PERSISTENT', 'this config keeps its audit log in memory: there is nothing on disk to read', {
      status: 400,
    });
  }
  const path = config.audit.path;
  const key = config.audit.checkpointKey === undefined ? undefined : await resolveSecretRef(config.audit.checkpointKey, config.baseDir);
  const store = SqliteAuditStore.open(path, { readOnly: true });
  const scoped = async (id: string, scope: { tenant?: string }) =>
    (await store.findRelated(id)).filter((e) => scope.tenant === undefined || e.actor.tenant === scope.tenant);
  return {
    path,
    async verify() {
      const checkpoint = key === undefined ? null : readCheckpoint(path, key);
      return verifyChain(readAll(store), checkpoint === null ? {} : { checkpoint });
    },
    async trace(id, scope = {}) {
      const events = await findLineageEvents((ref) => scoped(ref, scope), id);
      if (events.length === 0) return null;
      const tree = buildLineage(events, id);
      return { events, tree, text: renderLineage(tree) };
    },
    async drill(id, scope = {}) {
      const report = await drill(id, (ref) => scoped(ref, scope));
      return { ...report, text: renderDrill(report) };
    },
    close: () => store.close(),
  };
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
