import { Inject, Injectable } from '@nestjs/common';
import { CACHE_CONTROL_BUS, CACHE_KEYS } from '#caching/caching.constants';
import { VersionedRedisStore } from '#caching/versioned-redis.store';
import type { CacheKeys } from '#caching/cache-keys';
import type { CacheControlBus } from '#caching/cache-control.bus';

/** Every cached copy of the projections, dropped after a replay changed the record. */
@Injectable()
export class CachedDocuments {
  constructor(
    private readonly store: VersionedRedisStore,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(CACHE_CONTROL_BUS) private readonly cacheControl: CacheControlBus,
  ) {}

  async dropAll(): Promise<void> {
    for (const pattern of [this.keys.pattern('svc'), this.keys.pattern('snap')]) {
      for await (const keys of this.store.scan(pattern)) await this.store.remove(keys);
    }
    await this.store.remove([this.keys.defaults()]);
    // Every API instance drops its in-process copies too.
    await this.cacheControl.publish({ kind: 'flush' });
  }
}
