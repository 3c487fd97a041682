import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { CACHE_KEYS, OUTCOME_BUS, REDIS, TIERED_CACHE } from './caching.constants.js';
import { CacheKeys } from './cache-keys.js';
import { createRedis } from './redis-client.js';
import { TieredCache } from './tiered-cache.js';
import { BoundedMemoryStore } from './bounded-memory-store.js';
import { VersionedRedisStore } from './versioned-redis.store.js';
import { OutcomeBus } from './outcome-bus.js';
import { ReadModelLoader } from './read-model.loader.js';
import { CatalogRepository } from '#persistence/catalog.repository';

@Global()
@Module({
  providers: [
    { provide: REDIS, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => createRedis(c.redisUrl, 'warden') },
    { provide: CACHE_KEYS, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => new CacheKeys(c.namespace) },
    {
      provide: TIERED_CACHE,
      inject: [WARDEN_CONFIG, REDIS],
      useFactory: (c: WardenConfig, redis: Redis) =>
        new TieredCache(
          c.cache.l1Enabled
            ? new BoundedMemoryStore(c.cache.l1Eviction, c.cache.l1MaxEntries, c.cache.l1MaxBytes)
            : undefined,
          c.cache.l2Enabled ? new VersionedRedisStore(redis) : undefined,
          { ttlMs: c.cache.ttlSeconds * 1000, negativeTtlMs: c.cache.negativeTtlSeconds * 1000 },
        ),
    },
    {
      provide: OUTCOME_BUS,
      inject: [CACHE_KEYS, REDIS],
      useFactory: (keys: CacheKeys, redis: Redis) => new OutcomeBus(keys.outcomesChannel(), redis),
    },
    {
      provide: ReadModelLoader,
      inject: [CatalogRepository],
      useFactory: (catalog: CatalogRepository) => new ReadModelLoader(catalog),
    },
  ],
  exports: [REDIS, CACHE_KEYS, TIERED_CACHE, OUTCOME_BUS, ReadModelLoader],
})
export class CachingModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
