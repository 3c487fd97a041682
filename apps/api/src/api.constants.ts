import type { apiMetrics } from '#observability/metrics';

export const LOGGER = Symbol('LOGGER');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const API_METRICS = Symbol('API_METRICS');

export type ApiMetrics = ReturnType<typeof apiMetrics>;
