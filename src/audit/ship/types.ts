/** Where an audit shipper has got to: the last seq a destination took, per shipper name. */
export interface ShipCursorStore {
  /** The last seq shipped under `name` (0: nothing yet). Rejects with ERR_AUDIT_SHIP_CURSOR when it cannot be read. */
  get(name: string): Promise<number>;
  /**
   * Records that every event up to `seq` was shipped under `name`, durably, before resolving.
   * Never moves a cursor back: two shippers of one name (two replicas) can only repeat events,
   * never skip one. Rejects with ERR_AUDIT_SHIP_CURSOR when it could not be recorded.
   */
  advance(name: string, seq: number): Promise<void>;
}
