import { Inject, Injectable } from '@nestjs/common';
import { CACHE_KEYS, TIERED_CACHE } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import type { TieredCache } from '#caching/tiered-cache';
import { VersionedRedisStore } from '#caching/versioned-redis.store';
import { RecordHealth } from '../read-model/record-health.service.js';
import { EffectiveFastPath } from '../read-model/effective-fast-path.js';
import { SERVICE_KEY_KINDS } from './service-key-kinds.js';

/** What `/admin/cache/stats` answers: each tier's figures as this instance sees them. */
@Injectable()
export class CacheStatistics {
  constructor(
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    private readonly store: VersionedRedisStore,
    private readonly health: RecordHealth,
    private readonly fastPath: EffectiveFastPath,
  ) {}

  async stats() {
    const { l1, l2, db } = this.cache.stats();
    const redisKeys = l2.enabled ? await this.countRedisKeys().catch(() => null) : null;
    return {
      l1: { ...l1, fastPathAnswers: this.fastPath.answeredCount() },
      l2: { ...l2, keys: redisKeys },
      db: { ...db, reachable: !this.health.down },
    };
  }

  private async countRedisKeys(): Promise<number> {
    let count = 0;
    for (const kind of SERVICE_KEY_KINDS)
      for await (const batch of this.store.scan(this.keys.pattern(kind))) count += batch.length;
    return count + ((await this.store.get(this.keys.defaults())) ? 1 : 0);
  }
}
