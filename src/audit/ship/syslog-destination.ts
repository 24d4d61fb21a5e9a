/** The syslog destination of the shipper: events as RFC 5424 messages over TCP or TLS. */
import type { AuditEvent } from '../../core/types.ts';
import type { ShipDestination } from './shipper.ts';
import { frame, syslogMessage, type SyslogHeader } from './syslog.ts';
import { SyslogSink, type SyslogTarget } from './syslog-sink.ts';

export function syslogDestination(target: SyslogTarget, header: SyslogHeader): ShipDestination & { sink: SyslogSink } {
  const sink = new SyslogSink(target);
  return {
    sink,
    send: (events: AuditEvent[]) => sink.send(events.map((event) => frame(syslogMessage(event, header)))),
    generation: () => sink.generation,
    close: () => sink.close(),
  };
}
