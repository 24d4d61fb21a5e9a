/**
 * A bounded in-memory event store for one MCP session's SSE streams, so a client whose
 * stream drops can reconnect with `Last-Event-ID` and receive what it missed (streamable
 * HTTP resumability). It keeps the newest `capacity` messages of the session; older ones
 * are gone, and a client asking for them gets the stream from what remains.
 */
import type { EventStore } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export class SessionEventStore implements EventStore {
  readonly #capacity: number;
  readonly #events = new Map<string, { streamId: string; message: JSONRPCMessage }>();
  #counter = 0;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${(++this.#counter).toString(36).padStart(8, '0')}`;
    this.#events.set(id, { streamId, message });
    if (this.#events.size > this.#capacity) {
      const oldest = this.#events.keys().next();
      if (oldest.done !== true) this.#events.delete(oldest.value);
    }
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.#events.get(eventId)?.streamId ?? (eventId.includes('_') ? eventId.slice(0, eventId.lastIndexOf('_')) : undefined);
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const streamId = await this.getStreamIdForEventId(lastEventId);
    if (streamId === undefined) return '';
    let after = !this.#events.has(lastEventId);
    for (const [id, event] of this.#events) {
      if (id === lastEventId) {
        after = true;
        continue;
      }
      if (after && event.streamId === streamId && id > lastEventId) await send(id, event.message);
    }
    return streamId;
  }
}
