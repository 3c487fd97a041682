import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { CatalogRepository } from '#persistence/catalog.repository';
import { PersistenceModule } from '#persistence/persistence.module';
import {
  CACHE_CONTROL_BUS,
  CACHE_KEYS,
  CACHE_OBSERVER,
  OUTCOME_BUS,
  REDIS,
  TIERED_CACHE,
} from './caching.constants.js';
import { CacheKeys } from './cache-keys.js';
import { createRedis, type RedisConnection } from './redis-client.js';
import { TieredCache, type CacheObserver, type L1Entry } from './tiered-cache.js';
import { BoundedMemoryStore } from './bounded-memory-store.js';
import { VersionedRedisStore } from './versioned-redis.store.js';
import { OutcomeBus } from './outcome-bus.js';
import { CacheControlBus } from './cache-control.bus.js';
import { ReadModelLoader } from './read-model.loader.js';
import { ReadModelWriter } from './read-model.writer.js';
import { AcceptedEventsStore } from './accepted-events.store.js';

/** Builds the tiers from the configuration; the cache follows the state of its Redis connection. */
export function createTieredCache(
  config: WardenConfig,
  redis: RedisConnection,
  store: VersionedRedisStore,
  observer?: CacheObserver,
): TieredCache {
  const c = config.cache;
  const cache = new TieredCache(
    c.l1Enabled
      ? new BoundedMemoryStore<L1Entry>(c.l1Eviction, c.l1MaxEntries, c.l1MaxBytes)
      : undefined,
    c.l2Enabled ? store : undefined,
    {
      ttlMs: c.ttlSeconds * 1000,
      negativeTtlMs: c.negativeTtlSeconds * 1000,
      tombstoneTtlMs: c.tombstoneTtlSeconds * 1000,
      observer,
    },
  );
  // 'close' comes at once when Redis goes away; 'ready' when it is back and usable.
  redis.on('close', () => cache.setRedisReachable(false));
  redis.on('ready', () => cache.setRedisReachable(true));
  return cache;
}

/** The Redis connection for commands, the key layout, the tiers and the buses over them. */
@Module({
  imports: [PersistenceModule],
  providers: [
    {
      provide: REDIS,
      inject: [WARDEN_CONFIG],
      useFactory: (c: WardenConfig) => createRedis(c, 'warden'),
    },
    {
      provide: CACHE_KEYS,
      inject: [WARDEN_CONFIG],
      useFactory: (c: WardenConfig) => new CacheKeys(c.namespace),
    },
    {
      provide: VersionedRedisStore,
      inject: [REDIS],
      useFactory: (redis: RedisConnection) => new VersionedRedisStore(redis),
    },
    {
      provide: TIERED_CACHE,
      inject: [
        WARDEN_CONFIG,
        REDIS,
        VersionedRedisStore,
        { token: CACHE_OBSERVER, optional: true },
      ],
      useFactory: (
        c: WardenConfig,
        redis: RedisConnection,
        store: VersionedRedisStore,
        observer?: CacheObserver,
      ) => createTieredCache(c, redis, store, observer),
    },
    {
      provide: OUTCOME_BUS,
      inject: [CACHE_KEYS, REDIS],
      useFactory: (keys: CacheKeys, redis: RedisConnection) =>
        new OutcomeBus(keys.outcomesChannel(), redis),
    },
    {
      provide: CACHE_CONTROL_BUS,
      inject: [CACHE_KEYS, REDIS],
      useFactory: (keys: CacheKeys, redis: RedisConnection) =>
        new CacheControlBus(keys.controlChannel(), redis),
    },
    {
      provide: AcceptedEventsStore,
      inject: [REDIS, CACHE_KEYS],
      useFactory: (redis: RedisConnection, keys: CacheKeys) => new AcceptedEventsStore(redis, keys),
    },
    {
      provide: ReadModelLoader,
      inject: [CatalogRepository],
      useFactory: (catalog: CatalogRepository) => new ReadModelLoader(catalog),
    },
    {
      provide: ReadModelWriter,
      inject: [TIERED_CACHE, CACHE_KEYS, ReadModelLoader],
      useFactory: (cache: TieredCache, keys: CacheKeys, loader: ReadModelLoader) =>
        new ReadModelWriter(cache, keys, loader),
    },
  ],
  exports: [
    REDIS,
    CACHE_KEYS,
    VersionedRedisStore,
    TIERED_CACHE,
    OUTCOME_BUS,
    CACHE_CONTROL_BUS,
    ReadModelLoader,
    ReadModelWriter,
    AcceptedEventsStore,
  ],
})
export class CachingModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisConnection) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
