import type { Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { CACHE_OBSERVER } from '#caching/caching.constants';
import type { CacheObserver } from '#caching/tiered-cache';
import { apiMetrics } from '#observability/metrics';
import { API_METRICS, type ApiMetrics } from '../api.constants.js';

/** Counts hits and misses per tier for `/metrics` (plain counts: this is on the hot path). */
function metricsObserver(metrics: ApiMetrics): CacheObserver {
  const { hits, misses } = metrics.cacheCounts;
  return {
    hit: (tier) => hits[tier]++,
    miss: (tier) => misses[tier]++,
  };
}

/** The API's metrics, and the observer the cache tiers report to, for ObservabilityModule. */
export function apiMetricsProviders(registry: Registry): Provider[] {
  return [
    { provide: API_METRICS, useValue: apiMetrics(registry) },
    { provide: CACHE_OBSERVER, inject: [API_METRICS], useFactory: metricsObserver },
  ];
}
