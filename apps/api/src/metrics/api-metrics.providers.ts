import type { Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { CACHE_OBSERVER } from '#caching/caching.constants';
import type { CacheObserver } from '#caching/tiered-cache';
import { apiMetrics } from '#observability/metrics';
import { API_METRICS, type ApiMetrics } from '../api.constants.js';

/** Counts hits and misses per tier on `/metrics`, with the label children bound once (hot path). */
function metricsObserver(metrics: ApiMetrics): CacheObserver {
  const hits = {
    l1: metrics.cacheHits.labels('l1'),
    l2: metrics.cacheHits.labels('l2'),
    db: metrics.cacheHits.labels('db'),
  };
  const misses = { l1: metrics.cacheMisses.labels('l1'), l2: metrics.cacheMisses.labels('l2') };
  return {
    hit: (tier) => hits[tier].inc(),
    miss: (tier) => misses[tier].inc(),
  };
}

/** The API's metrics, and the observer the cache tiers report to, for ObservabilityModule. */
export function apiMetricsProviders(registry: Registry): Provider[] {
  return [
    { provide: API_METRICS, useValue: apiMetrics(registry) },
    { provide: CACHE_OBSERVER, inject: [API_METRICS], useFactory: metricsObserver },
  ];
}
