/** Prometheus metrics of a gateway: the registry and its observations, bounded labels, scrape access. */
export { GatewayMetrics, LABEL_LIMITS } from './gateway-metrics.ts';
export type { AuditBatchObservation, CallObservation, GatewayMetricsOptions, MetricSources } from './gateway-metrics.ts';
export { checkMetricsAccess, isLoopbackAddress } from './access.ts';
export type { MetricsAccessPolicy } from './access.ts';
export { METRICS_ERRORS, metricsError } from './errors.ts';
export { OTHER, UNKNOWN, NONE } from './labels.ts';
