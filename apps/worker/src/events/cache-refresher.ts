import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CACHE_KEYS, TIERED_CACHE } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import type { TieredCache } from '#caching/tiered-cache';
import { ReadModelLoader } from '#caching/read-model.loader';
import type { VersionedValue } from '#caching/versioned-redis.store';

/**
 * Writes the new state of an aggregate to Redis after its transaction committed. A
 * refresh that fails (Redis away) is remembered and retried, so the caches catch up
 * when Redis returns instead of keeping an old value until it expires; applying events
 * to PostgreSQL never waits for Redis.
 */
@Injectable()
export class CacheRefresher implements OnApplicationShutdown {
  private readonly pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    private readonly loader: ReadModelLoader,
  ) {
    this.timer = setInterval(() => void this.retryPending(), 1000);
    this.timer.unref();
  }

  async refresh(aggregate: string): Promise<boolean> {
    try {
      await this.write(aggregate);
      this.pending.delete(aggregate);
      return true;
    } catch {
      this.pending.add(aggregate);
      return false;
    }
  }

  /**
   * Writes documents the caller already holds (the worker's batch) in one pipelined
   * round; an aggregate whose write fails is retried from PostgreSQL like a refresh.
   */
  async store(entries: { aggregate: string; key: string; value: VersionedValue }[]): Promise<void> {
    const results = await Promise.allSettled(entries.map((e) => this.put(e.key, e.value)));
    const failed = new Set(entries.filter((_, i) => results[i].status === 'rejected').map((e) => e.aggregate));
    for (const { aggregate } of entries) {
      if (failed.has(aggregate)) this.pending.add(aggregate);
      else this.pending.delete(aggregate);
    }
  }

  private async write(aggregate: string): Promise<void> {
    if (aggregate.startsWith('defaults:')) {
      await this.put(this.keys.defaults(), await this.loader.defaults());
      return;
    }
    const slug = aggregate.slice('service:'.length);
    const [service, snapshot] = await Promise.all([
      this.loader.service(slug),
      this.loader.snapshot(slug),
    ]);
    await Promise.all([
      this.put(this.keys.service(slug), service),
      this.put(this.keys.snapshot(slug), snapshot),
    ]);
  }

  private async put(key: string, value: VersionedValue): Promise<void> {
    await this.cache.putL2(key, value);
  }

  private async retryPending(): Promise<void> {
    for (const aggregate of [...this.pending]) {
      if (!(await this.refresh(aggregate))) return;
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
