/**
 * The audit shipper of config `audit.ship`: the audit log sent to a SIEM as syslog (RFC 5424)
 * over TCP/TLS, at least once, from the cursor in the state store. Started by the gateway (and
 * by `airlock audit ship` as a process of its own); PEM files are read once, at start.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AirlockError } from '../core/errors.ts';
import { packageVersion } from '../core/package-version.ts';
import type { AirlockConfig } from '../config/index.ts';
import type { AuditStore } from '../audit/index.ts';
import { AuditShipper, syslogDestination, type ShipCursorStore } from '../audit/ship/index.ts';
import { openAuditForReading, openShipCursors } from '../stores/factory.ts';

export interface ShipperSetup {
  config: AirlockConfig;
  audit: Pick<AuditStore, 'read'>;
  cursors: ShipCursorStore;
  onFault?: (what: string, error: unknown) => void;
  onRecovered?: (what: string) => void;
}

function pem(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new AirlockError('ERR_AUDIT_SHIP_TARGET', `cannot read audit.ship.syslog.${what} (${path})`, { status: 500, cause });
  }
}

/** The shipper of `config.auditShip`, not started; null when the config ships nothing. */
export function createAuditShipper(setup: ShipperSetup): AuditShipper | null {
  const ship = setup.config.auditShip;
  if (ship === undefined) return null;
  const ca = pem(ship.syslog.ca, 'ca');
  const cert = pem(ship.syslog.cert, 'cert');
  const key = pem(ship.syslog.key, 'key');
  const destination = syslogDestination(
    { url: ship.syslog.url, ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) },
    { hostname: ship.syslog.hostname ?? hostname(), appName: ship.syslog.appName, procId: String(process.pid), version: packageVersion() },
  );
  const what = `audit shipping (${ship.name} -> ${ship.syslog.url})`;
  return new AuditShipper({
    name: ship.name,
    audit: setup.audit,
    cursors: setup.cursors,
    destination,
    batchSize: ship.batchSize,
    pollMs: ship.pollMs,
    ...(setup.onFault === undefined ? {} : { onFault: (_message: string, error: unknown) => setup.onFault?.(what, error) }),
    ...(setup.onRecovered === undefined ? {} : { onRecovered: () => setup.onRecovered?.(what) }),
  });
}

/**
 * `airlock audit ship`: the config's shipper as a process of its own — the audit log opened for
 * reading, the cursors of the config's state (the gateway's own shipper uses the same ones).
 */
export async function openStandaloneShipper(
  config: AirlockConfig,
  hooks: Pick<ShipperSetup, 'onFault' | 'onRecovered'> = {},
): Promise<{ shipper: AuditShipper; close(): Promise<void> }> {
  if (config.auditShip === undefined) {
    throw new AirlockError('ERR_AUDIT_SHIP_NOT_CONFIGURED', 'this config has no audit.ship section: nothing says where to ship', { status: 400 });
  }
  const cursors = await openShipCursors(config);
  if (cursors === null) {
    throw new AirlockError('ERR_AUDIT_SHIP_CURSOR', 'state: memory keeps no shipping cursor: every run would ship the whole log again (use sqlite or postgres state)', { status: 400 });
  }
  let opened: Awaited<ReturnType<typeof openAuditForReading>> = null;
  try {
    opened = await openAuditForReading(config);
    if (opened === null) throw new AirlockError('ERR_AUDIT_NOT_PERSISTENT', 'this config keeps its audit log in memory: there is nothing to ship', { status: 400 });
    const store = opened.store;
    const shipper = createAuditShipper({ config, audit: store, cursors: cursors.cursors, ...hooks }) as AuditShipper;
    return {
      shipper,
      close: async () => {
        await shipper.stop();
        await store.close();
        await cursors.close();
      },
    };
  } catch (error) {
    await opened?.store.close();
    await cursors.close();
    throw error;
  }
}
