/**
 * The audit domain's store interface: what every audit log adapter (memory, SQLite,
 * PostgreSQL) must guarantee. The event vocabulary itself (AuditEvent, AuditEventInput) is in
 * core/types.ts: every domain records events.
 */
import type { AuditEvent, AuditEventInput } from '../core/types.ts';
import type { AuditSearchPage, AuditSearchQuery } from './search.ts';

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
  /**
   * One page of the events matching `query` (see search.ts: filters, seq cursor, order). Read
   * only: a snapshot of committed events; examines at most SEARCH_SCAN_WINDOW seqs per call, so
   * a page may be short (even empty) with a non-null `nextAfterSeq`. Rejects with
   * ERR_AUDIT_SEARCH_INVALID (400) for a bad query.
   */
  search(query: AuditSearchQuery): Promise<AuditSearchPage>;
  head(): Promise<{ seq: number; hash: string } | null>;
  close(): Promise<void>;
}
