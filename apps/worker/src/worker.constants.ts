import type { workerMetrics } from '#observability/metrics';

export const LOGGER = Symbol('LOGGER');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const WORKER_METRICS = Symbol('WORKER_METRICS');
export const OUTBOX = Symbol('OUTBOX');

export type WorkerMetrics = ReturnType<typeof workerMetrics>;
