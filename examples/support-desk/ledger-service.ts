/**
 * The demo's HTTP upstream: a small billing ledger that answers
 * `GET /customers/{customer_id}/invoices` — and only for a caller presenting a just-in-time
 * credential minted by the gateway for this call. It uses the verifier middleware Airlock
 * ships for upstreams: issuer, audience (this service's connector id, `host:port`), scope
 * `billing.invoices.read`, expiry, revocation (the gateway's revocation table, read from the
 * same state database), one-time use, and the binding to this request: the credential must
 * name this tool, this customer as its target and these arguments — whoever presents it (the
 * gateway's HTTP connector, or in decision-point mode the agent runtime). The credential's
 * tenant must own the customer.
 * Nothing here trusts the agent: it never sees this service or the credential.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// The package's public API (src/index.ts: `@airlock-gateway/airlock` for an installed copy).
import type { AirlockConfig, CredentialBinding } from '../../src/index.ts';
import {
  createCredentialMiddleware,
  createCredentialVerifier,
  openUpstreamCredentialStores,
  resolveSecretRef,
  verifiedCredential,
} from '../../src/index.ts';
import { SupportDesk } from './handlers.ts';

export const LEDGER_SCOPE = 'billing.invoices.read';
export const LEDGER_TOOL = 'billing.getInvoices';
/** The resource type the gateway scopes the tool's target as (`resource.type` in airlock.yaml). */
export const LEDGER_RESOURCE_TYPE = 'Customer';

export interface LedgerService {
  url: string;
  /** Requests answered, by status code (for the demo's summary and tests). */
  answered: Map<number, number>;
  close(): Promise<void>;
}

/** Monthly invoices derived from the seeded totals: deterministic, so the demo reads the same each run. */
function invoicesOf(desk: SupportDesk, id: string): Array<{ invoice_id: string; amount: number; status: string }> {
  const customer = desk.customers.get(id);
  if (customer === undefined) return [];
  const months = 3;
  const monthly = Math.round((customer.paid_total / months) * 100) / 100;
  return Array.from({ length: months }, (_, i) => ({ invoice_id: `inv_${id.slice(4)}_${i + 1}`, amount: monthly, status: 'paid' }));
}

const INVOICES_PATH = /^\/customers\/(cus_[a-z0-9_]{1,64})\/invoices$/;

/** What a request to the ledger is, for the credential check: null for any other path. */
export function bindingOf(url: string | undefined): CredentialBinding | null {
  const id = INVOICES_PATH.exec(url ?? '')?.[1];
  if (id === undefined) return null;
  return { tool: LEDGER_TOOL, resource: { type: LEDGER_RESOURCE_TYPE, id }, arguments: { customer_id: id } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/**
 * Starts the ledger on the host and port its tool's connector URL names in `config` (or on
 * `listen`, e.g. port 0 in tests), verifying credentials with the gateway's signing key.
 */
export async function startLedgerService(
  config: AirlockConfig,
  options: { desk?: SupportDesk; listen?: { host: string; port: number }; audience?: string } = {},
): Promise<LedgerService> {
  const tool = config.tools.find((t) => t.name === LEDGER_TOOL);
  if (tool === undefined || tool.connector.type !== 'http') throw new Error(`the config has no HTTP tool ${LEDGER_TOOL}`);
  const target = new URL(tool.connector.url.replace(/\{[^}]+\}/g, 'x'));
  const listen = options.listen ?? { host: target.hostname, port: Number(target.port) };
  const keyRef = config.credentials.signingKey ?? (config.state.type === 'sqlite' ? `file:${config.state.path.replace(/[^/]*$/, 'credential-signing.key')}` : undefined);
  if (keyRef === undefined) throw new Error('the ledger needs the credential signing key: set credentials.signing_key or use SQLite state');
  const key = await resolveSecretRef(keyRef, config.baseDir, { createIfMissing: config.credentials.signingKey === undefined });
  // Revocations and one-time uses on the gateway's own backend (SQLite file or the fleet's PostgreSQL):
  // a revocation made on any replica is honoured, a used credential stays used after a restart.
  const { revocations, uses, close: closeStores } = await openUpstreamCredentialStores(config);
  const desk = options.desk ?? new SupportDesk();
  const answered = new Map<number, number>();

  let audience = options.audience ?? target.host;
  const verifier = () =>
    createCredentialVerifier({ key, issuer: config.credentials.issuer, audience, revocations, uses, requiredScope: LEDGER_SCOPE, oneTime: true });
  let verify = verifier();
  // The credential must have been minted for this very request: this tool, this customer,
  // these arguments. One minted for cus_acme_ada is refused on cus_acme_grace's URL.
  const checkCredential = createCredentialMiddleware(
    { verify: (token, opts) => verify.verify(token, opts) },
    { bind: (req) => bindingOf(req.url) },
  );

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => answered.set(res.statusCode, (answered.get(res.statusCode) ?? 0) + 1));
    checkCredential(req, res, () => {
      const claims = verifiedCredential(req);
      const match = INVOICES_PATH.exec(req.url ?? '');
      if (req.method !== 'GET' || match === null || claims === undefined) {
        send(res, 404, { error: { code: 'not_found', message: 'no such resource' } });
        return;
      }
      const id = match[1] as string;
      const customer = desk.customers.get(id);
      // Defence in depth: the gateway already refused cross-tenant targets.
      if (customer === undefined || customer.tenant !== claims.tenant) {
        send(res, 404, { error: { code: 'not_found', message: 'no such customer' } });
        return;
      }
      send(res, 200, { customer_id: id, invoices: invoicesOf(desk, id) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (options.audience === undefined && listen.port === 0) {
    audience = `${listen.host}:${port}`;
    verify = verifier();
  }
  return {
    url: `http://${listen.host}:${port}`,
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          void closeStores();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
