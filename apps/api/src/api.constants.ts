import type { apiMetrics } from '#observability/metrics';

// Defined once in libs/observability; re-exported for the imports that still name this file.
export { LOGGER, METRICS_REGISTRY } from '#observability/observability.constants';
/** The API's own metrics (requests, cache tiers, propagation) over the process registry. */
export const API_METRICS = Symbol('API_METRICS');

export type ApiMetrics = ReturnType<typeof apiMetrics>;
