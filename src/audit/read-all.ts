/**
 * readAll: the whole log (or its tail from a seq) as an async iterator, read page by page so
 * verifying a large log needs constant memory. When a page holds a corrupt row, the good rows
 * before it are still yielded and then the ERR_AUDIT_CORRUPT error is thrown, so verifyChain
 * reports the first bad event in order.
 */
import { isAirlockError } from '../core/errors.ts';
import type { AuditEvent } from '../core/types.ts';
import type { AuditStore } from './types.ts';

export interface ReadAllOptions {
  fromSeq?: number;
  pageSize?: number;
}

export async function* readAll(store: Pick<AuditStore, 'read'>, options: ReadAllOptions = {}): AsyncGenerator<AuditEvent, void, undefined> {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  let next = Math.max(1, Math.floor(options.fromSeq ?? 1));
  for (;;) {
    let page: AuditEvent[];
    try {
      page = await store.read({ fromSeq: next, limit: pageSize });
    } catch (error) {
      if (!isAirlockError(error) || error.code !== 'ERR_AUDIT_CORRUPT') throw error;
      yield* readOneByOne(store, next, pageSize);
      throw error;
    }
    if (page.length === 0) return;
    for (const event of page) yield event;
    const last = page[page.length - 1] as AuditEvent;
    // Stores return events by seq; a seq that does not advance would loop forever.
    next = Number.isSafeInteger(last.seq) && last.seq >= next ? last.seq + 1 : next + page.length;
    if (page.length < pageSize) return;
  }
}

/** The readable events of a page that failed, up to the corrupt row. */
async function* readOneByOne(store: Pick<AuditStore, 'read'>, from: number, count: number): AsyncGenerator<AuditEvent, void, undefined> {
  let next = from;
  for (let i = 0; i < count; i++) {
    let page: AuditEvent[];
    try {
      page = await store.read({ fromSeq: next, limit: 1 });
    } catch {
      return;
    }
    const event = page[0];
    if (event === undefined) return;
    yield event;
    next = event.seq + 1;
  }
}
