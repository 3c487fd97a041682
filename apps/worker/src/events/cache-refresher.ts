import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { CACHE_KEYS, REDIS, TIERED_CACHE } from '#caching/caching.constants';
import type { RedisConnection } from '#caching/redis-client';
import type { CacheKeys } from '#caching/cache-keys';
import type { TieredCache } from '#caching/tiered-cache';
import { ReadModelWriter } from '#caching/read-model.writer';
import type { VersionedValue } from '#caching/versioned-redis.store';
import type { AggregateDocument } from '#persistence/projection.repository';

const RETRY_INTERVAL_MS = 1000;

interface CacheEntry {
  aggregate: string;
  key: string;
  value: VersionedValue;
}

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
  /**
   * One Redis server: the writes and the outcome bus share one connection, whose
   * commands Redis executes in the order they were sent, so the announcement can go out
   * behind the writes without waiting for their answers. A cluster spreads keys and
   * channel over nodes (and the writes wait for a replica): there it waits.
   */
  readonly announcesInOrder: boolean;

  constructor(
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    private readonly writer: ReadModelWriter,
    @Inject(REDIS) redis: RedisConnection,
  ) {
    this.announcesInOrder = !(redis instanceof Cluster);
    this.timer = setInterval(() => void this.retryPending(), RETRY_INTERVAL_MS);
    this.timer.unref();
  }

  /** Reloads an aggregate from PostgreSQL and writes it; false (and retried later) on failure. */
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
   * Writes the documents of a batch, which the worker already holds, in one pipelined
   * round (the commands go out back to back on one connection). An aggregate whose
   * write failed is refreshed from PostgreSQL, which keeps retrying while Redis is away.
   */
  async writeDocuments(documents: AggregateDocument[]): Promise<void> {
    const entries = documents.flatMap((d) => this.entriesOf(d));
    const results = await Promise.allSettled(entries.map((e) => this.cache.putL2(e.key, e.value)));
    const failed = new Set(
      entries.filter((_, i) => results[i].status === 'rejected').map((e) => e.aggregate),
    );
    for (const aggregate of failed) void this.refresh(aggregate);
  }

  /** The Redis entries of a document: the defaults, or a service and its snapshot. */
  private entriesOf(document: AggregateDocument): CacheEntry[] {
    const entry = (key: string, value: unknown): CacheEntry => ({
      aggregate: document.aggregate,
      key,
      value: {
        revision: document.revision,
        json: value === undefined ? undefined : JSON.stringify(value),
      },
    });
    if (document.kind === 'defaults') return [entry(this.keys.defaults(), document.defaults)];
    return [
      entry(this.keys.service(document.slug), document.service),
      entry(this.keys.snapshot(document.slug), document.snapshot),
    ];
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
