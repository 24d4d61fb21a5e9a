/**
 * Audit events as syslog messages (RFC 5424), framed for TCP/TLS by octet counting
 * (RFC 6587 §3.4.1, the framing RFC 5425 mandates for TLS). The message is the event's
 * canonical JSON line — exactly what `airlock audit export --format jsonl` writes and what the
 * chain hash covers — so a SIEM can verify an event it received. The header carries what a
 * SIEM indexes without parsing JSON: the event type as MSGID, and severity by outcome.
 */
import type { AuditEvent } from '../../core/types.ts';
import { canonicalEventLine, outcomeOf } from '../search.ts';

export interface SyslogHeader {
  /** HOSTNAME (printable ASCII, at most 255 characters; `-` when unknown). */
  hostname: string;
  /** APP-NAME (at most 48). */
  appName: string;
  /** PROCID (at most 128). */
  procId: string;
  /** The software version for the `origin` structured data element. */
  version: string;
}

/** Facility 13, "log audit" (RFC 5424 table 1). */
const FACILITY_LOG_AUDIT = 13;
const SEVERITY = { warning: 4, notice: 5, informational: 6 } as const;
const BOM = '\uFEFF';

/** RFC 5424 PRINTUSASCII (33..126), cut to `max`; `-` (NILVALUE) when nothing is left. */
export function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` are escaped. */
function paramValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** Denied and held calls, and alerts, are warnings; other decisions notices; the rest informational. */
export function severityOf(event: AuditEvent): number {
  const outcome = outcomeOf(event);
  if (outcome === 'deny' || outcome === 'approval_required' || event.type.includes('alert') || event.type.includes('kill_switch')) return SEVERITY.warning;
  if (outcome !== null) return SEVERITY.notice;
  return SEVERITY.informational;
}

/** One RFC 5424 message for an event. */
export function syslogMessage(event: AuditEvent, header: SyslogHeader): string {
  const pri = FACILITY_LOG_AUDIT * 8 + severityOf(event);
  const sd = `[origin software="airlock" swVersion="${paramValue(header.version)}"][meta sequenceId="${event.seq % 2147483647 || 1}"]`;
  return [
    `<${pri}>1`,
    event.ts,
    headerField(header.hostname, 255),
    headerField(header.appName, 48),
    headerField(header.procId, 128),
    headerField(event.type, 32),
    `${sd} ${BOM}${canonicalEventLine(event)}`,
  ].join(' ');
}

/** Octet-counting frame: the message's length in bytes, a space, the message. */
export function frame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** Splits a stream of octet-counted frames; `rest` is an incomplete tail (for receivers and tests). */
export function unframe(data: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let offset = 0;
  for (;;) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(data.toString('ascii', offset, space));
    if (!Number.isInteger(length) || length <= 0) throw new Error(`bad octet count at byte ${offset}`);
    if (space + 1 + length > data.length) break;
    messages.push(data.toString('utf8', space + 1, space + 1 + length));
    offset = space + 1 + length;
  }
  return { messages, rest: data.subarray(offset) };
}
