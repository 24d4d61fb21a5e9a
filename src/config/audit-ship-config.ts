/**
 * `audit.ship` — the gateway ships its audit log to a SIEM, at least once, from a cursor kept
 * in the state store (docs/audit.md, "Shipping to a SIEM"). Syslog (RFC 5424) over TCP or TLS.
 */
import { isAbsolute, resolve } from 'node:path';
import type { PathSegment } from './locate.ts';
import type { IssueCollector } from './semantic.ts';

export interface AuditShipConfig {
  /** The cursor's name: one per destination (default `syslog`). */
  name: string;
  batchSize: number;
  pollMs: number;
  syslog: {
    /** `tcp://host:port` or `tls://host:port`. */
    url: string;
    /** PEM files (absolute after loading): the receiver's CA, and a client certificate and key. */
    ca?: string;
    cert?: string;
    key?: string;
    appName: string;
    /** HOSTNAME of every message (default: this machine's name). */
    hostname?: string;
  };
}

export const auditShipSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['syslog'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', 'x-message': 'must be 1 to 64 letters, digits, ".", "_" or "-"' },
    batch_size: { type: 'integer', minimum: 1, maximum: 10_000 },
    poll_ms: { type: 'integer', minimum: 50, maximum: 60_000 },
    syslog: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^(tcp|tls)://', 'x-message': 'must be tcp://host:port or tls://host:port' },
        ca: { type: 'string', minLength: 1 },
        cert: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 1 },
        app_name: { type: 'string', minLength: 1, maxLength: 48 },
        hostname: { type: 'string', minLength: 1, maxLength: 255 },
      },
    },
  },
} as const;

type Rec = Record<string, unknown>;

/** A URL with a host and port; TLS settings only with tls://; a client certificate and its key together. */
export function checkAuditShip(out: IssueCollector, ship: Rec | undefined): void {
  const syslog = ship?.syslog !== null && typeof ship?.syslog === 'object' ? (ship.syslog as Rec) : undefined;
  if (syslog === undefined) return;
  const at = (...rest: PathSegment[]): PathSegment[] => ['audit', 'ship', 'syslog', ...rest];
  if (typeof syslog.url === 'string' && /^(tcp|tls):\/\//.test(syslog.url)) {
    let url: URL | null = null;
    try {
      url = new URL(syslog.url);
    } catch {
      out.add(at('url'), 'is not a valid URL');
    }
    if (url !== null && (url.hostname === '' || url.pathname.length > 1 || url.search !== '' || url.username !== '')) out.add(at('url'), 'must be just tcp://host:port or tls://host:port');
    const plain = syslog.url.startsWith('tcp:');
    for (const key of ['ca', 'cert', 'key'] as const) if (plain && syslog[key] !== undefined) out.add(at(key), 'only allowed with a tls:// url');
  }
  if ((syslog.cert === undefined) !== (syslog.key === undefined)) out.add(at(syslog.cert === undefined ? 'key' : 'cert'), `a client certificate needs both cert and key (${syslog.cert === undefined ? 'cert' : 'key'} is missing)`);
}

export function normalizeAuditShip(raw: Rec | undefined, baseDir: string): AuditShipConfig | undefined {
  if (raw === undefined) return undefined;
  const syslog = raw.syslog as Rec;
  const path = (value: unknown) => (typeof value === 'string' ? (isAbsolute(value) ? value : resolve(baseDir, value)) : undefined);
  const files: Partial<Record<'ca' | 'cert' | 'key', string>> = {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = path(syslog[key]);
    if (value !== undefined) files[key] = value;
  }
  return {
    name: (raw.name as string | undefined) ?? 'syslog',
    batchSize: (raw.batch_size as number | undefined) ?? 500,
    pollMs: (raw.poll_ms as number | undefined) ?? 1_000,
    syslog: {
      url: syslog.url as string,
      ...files,
      appName: (syslog.app_name as string | undefined) ?? 'airlock',
      ...(typeof syslog.hostname === 'string' ? { hostname: syslog.hostname } : {}),
    },
  };
}
