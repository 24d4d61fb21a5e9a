/** The adapter layer's surface for the pipeline: the store factory. */
export { migratePostgres, openGatewayStores, openAuditForReading, openDurableAudit, openDurablePins, readStoredPins } from './factory.ts';
export type { AuditOpenOptions, GatewayStores, StoreKind } from './factory.ts';
