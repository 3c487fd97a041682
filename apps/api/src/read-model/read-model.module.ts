import { Global, Module } from '@nestjs/common';
import { CACHE_OBSERVER } from '#caching/caching.constants';
import type { CacheObserver } from '#caching/tiered-cache';
import { API_METRICS, type ApiMetrics } from '../api.constants.js';
import { RecordHealth } from './record-health.service.js';
import { CacheControlListener } from './cache-control.listener.js';
import { EffectiveFastPath } from './effective-fast-path.js';
import { AccessModule } from '../auth/access.module.js';

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

/**
 * What the read path needs besides the cache itself: PostgreSQL's health as reads see
 * it, the listener for admins' invalidations, the metrics the tiers report to, and the
 * fast lane that answers effective views from memory.
 * (`CatalogCache` is provided with the writes, whose outcomes it listens to.)
 */
@Global()
@Module({
  imports: [AccessModule],
  providers: [
    RecordHealth,
    CacheControlListener,
    EffectiveFastPath,
    { provide: CACHE_OBSERVER, inject: [API_METRICS], useFactory: metricsObserver },
  ],
  exports: [RecordHealth, CacheControlListener, EffectiveFastPath, CACHE_OBSERVER],
})
export class ReadModelModule {}
