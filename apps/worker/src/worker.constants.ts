import type { workerMetrics } from '#observability/metrics';

// Defined once for both apps; re-exported for the worker's existing imports.
export { LOGGER, METRICS_REGISTRY } from '#observability/observability.constants';
export const WORKER_METRICS = Symbol('WORKER_METRICS');
export const OUTBOX = Symbol('OUTBOX');

export type WorkerMetrics = ReturnType<typeof workerMetrics>;
