/** The adapter layer's surface for the pipeline: the store factory. */
export { migratePostgres, openGatewayStores, openUpstreamCredentialStores, openAuditForReading, openDurableAudit, openDurablePins, readStoredPins } from './factory.ts';
export type { AuditOpenOptions, GatewayStores, StoreKind } from './factory.ts';
