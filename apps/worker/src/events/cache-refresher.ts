import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { TIERED_CACHE } from '#caching/caching.constants';
import type { TieredCache } from '#caching/tiered-cache';
import { ReadModelWriter } from '#caching/read-model.writer';
import type { VersionedValue } from '#caching/versioned-redis.store';

const RETRY_INTERVAL_MS = 1000;

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
    private readonly writer: ReadModelWriter,
  ) {
    this.timer = setInterval(() => void this.retryPending(), RETRY_INTERVAL_MS);
    this.timer.unref();
  }

  async refresh(aggregate: string): Promise<boolean> {
    try {
      await this.writer.write(aggregate);
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
    const results = await Promise.allSettled(entries.map((e) => this.cache.putL2(e.key, e.value)));
    const failed = new Set(
      entries.filter((_, i) => results[i].status === 'rejected').map((e) => e.aggregate),
    );
    for (const { aggregate } of entries) {
      if (failed.has(aggregate)) this.pending.add(aggregate);
      else this.pending.delete(aggregate);
    }
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
