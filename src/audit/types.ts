/**
 * The audit domain's store interface: what every audit log adapter (memory, SQLite,
 * PostgreSQL) must guarantee. The event vocabulary itself (AuditEvent, AuditEventInput) is in
 * core/types.ts: every domain records events.
 */
import type { AuditEvent, AuditEventInput } from '../core/types.ts';

export interface AuditStore {
  /**
   * Appends events in order. Resolves only after the events are durably committed
   * (fsync'd); rejects with ERR_AUDIT_UNAVAILABLE when they could not be.
   */
  append(events: AuditEventInput[]): Promise<AuditEvent[]>;
  /** Events in sequence order starting at `fromSeq` (inclusive, default 1). */
  read(options?: { fromSeq?: number; limit?: number }): Promise<AuditEvent[]>;
  /**
   * Every event whose request, action, parent action, session, trace or event id equals `id`,
   * or whose `refs` hold it, in seq order. Answered from indexes, never by scanning the log.
   */
  findRelated(id: string): Promise<AuditEvent[]>;
  head(): Promise<{ seq: number; hash: string } | null>;
  close(): Promise<void>;
}
