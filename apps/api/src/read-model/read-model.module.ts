import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { CACHE_CONTROL_SUBSCRIBER } from '#caching/caching.constants';
import { subscriberProvider, type RedisConnection } from '#caching/redis-client';
import { PersistenceModule } from '#persistence/persistence.module';
import { OutcomesModule } from '../outcomes/outcomes.module.js';
import { AccessModule } from '../auth/access.module.js';
import { CatalogCache } from './catalog-cache.service.js';
import { CatalogChanges } from './catalog-changes.js';
import { RecordHealth } from './record-health.service.js';
import { CacheControlListener } from './cache-control.listener.js';
import { EffectiveFastPath } from './effective-fast-path.js';

/**
 * The read path: `CatalogCache` over the tiers, which drops what the worker's outcomes
 * and the admins' invalidations touch, PostgreSQL's health as reads see it, and the fast
 * lane that answers effective views from memory.
 */
@Module({
  imports: [PersistenceModule, CachingModule, OutcomesModule, AccessModule],
  providers: [
    subscriberProvider(CACHE_CONTROL_SUBSCRIBER, 'warden-cache-control'),
    CatalogCache,
    CatalogChanges,
    RecordHealth,
    CacheControlListener,
    EffectiveFastPath,
  ],
  exports: [CatalogCache, CatalogChanges, RecordHealth, CacheControlListener, EffectiveFastPath],
})
export class ReadModelModule implements OnApplicationShutdown {
  constructor(@Inject(CACHE_CONTROL_SUBSCRIBER) private readonly subscriber: RedisConnection) {}

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }
}
