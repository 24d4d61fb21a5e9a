/** Shipping the audit log to a SIEM (syslog RFC 5424 over TCP/TLS), at least once, from a stored cursor. */
export { AuditShipper } from './shipper.ts';
export type { AuditShipperOptions, ShipDestination, ShipProgress } from './shipper.ts';
export { MemoryShipCursorStore } from './memory-cursors.ts';
export type { ShipCursorStore } from './types.ts';
export { syslogDestination } from './syslog-destination.ts';
export { frame, headerField, severityOf, syslogMessage, unframe } from './syslog.ts';
export type { SyslogHeader } from './syslog.ts';
export { SyslogSink } from './syslog-sink.ts';
export type { SyslogTarget } from './syslog-sink.ts';
