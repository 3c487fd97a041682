import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CACHE_CONTROL_BUS, CACHE_KEYS, REDIS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import type { CacheControlBus } from '#caching/cache-control.bus';

/** Every cached copy of the projections, dropped after a replay changed the record. */
@Injectable()
export class CachedDocuments {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(CACHE_CONTROL_BUS) private readonly cacheControl: CacheControlBus,
  ) {}

  async dropAll(): Promise<void> {
    for (const pattern of [this.keys.pattern('svc'), this.keys.pattern('snap')]) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await this.redis.unlink(...keys);
      } while (cursor !== '0');
    }
    await this.redis.unlink(this.keys.defaults());
    // Every API instance drops its in-process copies too.
    await this.cacheControl.publish({ kind: 'flush' });
  }
}
