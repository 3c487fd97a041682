import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CACHE_CONTROL_BUS, CACHE_KEYS, TIERED_CACHE } from '#caching/caching.constants';
import type { CacheKeys, ServiceKeyKind } from '#caching/cache-keys';
import type { CacheCommand, CacheControlBus } from '#caching/cache-control.bus';
import type { TieredCache } from '#caching/tiered-cache';
import { VersionedRedisStore } from '#caching/versioned-redis.store';
import { ReadModelLoader } from '#caching/read-model.loader';
import { ReadModelWriter } from '#caching/read-model.writer';
import { defaultsRevisionAggregate } from '#persistence/revisions';
import { serviceAggregate } from '#domain/event.model';
import { LOGGER } from '#observability/observability.constants';
import { CacheControlListener } from '../read-model/cache-control.listener.js';
import { RecordHealth } from '../read-model/record-health.service.js';
import { EffectiveFastPath } from '../read-model/effective-fast-path.js';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import type { InvalidateCacheDto } from './admin-cache.dto.js';
import { forEachBounded } from './bounded-concurrency.js';

const KINDS: readonly ServiceKeyKind[] = ['svc', 'snap'];
/** Loads from PostgreSQL at once during a rebuild: leaves most of the pool to live reads. */
const REBUILD_CONCURRENCY = 6;

export interface InvalidationReport {
  invalidated: string;
  /** API instances that heard the request (this one included); null when Redis could not carry it. */
  instances: number | null;
  /** Redis keys of the aggregate rewritten from PostgreSQL (0 for `all`: see rebuild). */
  redisKeysRewritten: number;
}

export interface RebuildReport {
  services: number;
  keysWritten: number;
  /** Keys the worker had meanwhile written at a newer revision: left as they were. */
  keysNewer: number;
  failed: number;
  durationMs: number;
}

/** The admin's levers on the caches: statistics, invalidation everywhere, a rebuild of Redis. */
@Injectable()
export class CacheAdminService {
  constructor(
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(CACHE_CONTROL_BUS) private readonly bus: CacheControlBus,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly store: VersionedRedisStore,
    private readonly loader: ReadModelLoader,
    private readonly writer: ReadModelWriter,
    private readonly listener: CacheControlListener,
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

  /**
   * One aggregate: its Redis keys are rewritten from PostgreSQL first (through the
   * compare-and-set, so a newer refresh is kept), then every instance drops its memory
   * copies, which it reads again from the repaired Redis. `all`: every instance drops
   * all of its memory; Redis is rebuilt by `rebuild`.
   */
  async invalidate(body: InvalidateCacheDto): Promise<InvalidationReport> {
    if ((body.aggregate === undefined) === (body.all === undefined)) {
      throw validationFailed([
        { field: 'aggregate', message: 'send either aggregate or all: true, not both' },
      ]);
    }
    let rewritten = 0;
    let command: CacheCommand = { kind: 'flush' };
    if (body.aggregate !== undefined) {
      command = { kind: 'invalidate', aggregate: body.aggregate };
      rewritten = await this.writer
        .write(body.aggregate)
        .then((count) => count.written)
        .catch((error: unknown) => {
          this.log.warn(
            { err: String(error), aggregate: body.aggregate },
            'Redis not rewritten for an invalidation',
          );
          return 0;
        });
    }
    return {
      invalidated: body.aggregate ?? 'all',
      instances: await this.broadcast(command),
      redisKeysRewritten: rewritten,
    };
  }

  /**
   * Writes every service (and every key Redis holds for a service PostgreSQL no longer
   * has, which becomes a tombstone) and the defaults from PostgreSQL into Redis, through
   * the compare-and-set, then has every instance drop its memory.
   */
  async rebuild(): Promise<RebuildReport> {
    if (this.health.down) {
      throw new ProblemException(503, 'PostgreSQL is down: nothing to rebuild Redis from', {
        headers: { 'retry-after': '5' },
      });
    }
    const started = Date.now();
    const slugs = new Set<string>();
    for await (const page of this.loader.slugs()) for (const slug of page) slugs.add(slug);
    for (const kind of KINDS) {
      for await (const batch of this.store.scan(this.keys.pattern(kind))) {
        for (const key of batch) {
          const parsed = this.keys.parse(key);
          if (parsed) slugs.add(parsed.slug);
        }
      }
    }
    const report: RebuildReport = {
      services: slugs.size,
      keysWritten: 0,
      keysNewer: 0,
      failed: 0,
      durationMs: 0,
    };
    const aggregates = [...[...slugs].map(serviceAggregate), defaultsRevisionAggregate];
    await forEachBounded(aggregates, REBUILD_CONCURRENCY, async (aggregate) => {
      try {
        const count = await this.writer.write(aggregate);
        report.keysWritten += count.written;
        report.keysNewer += count.newer;
      } catch (error) {
        report.failed++;
        this.log.warn({ err: String(error), aggregate }, 'rebuild could not write an aggregate');
      }
    });
    await this.broadcast({ kind: 'flush' });
    report.durationMs = Date.now() - started;
    this.log.info(report, 'Redis rebuilt from PostgreSQL');
    return report;
  }

  /** This instance at once (Redis may be away), then every instance through Redis. */
  private async broadcast(command: CacheCommand): Promise<number | null> {
    this.listener.apply(command);
    return this.bus.publish(command).catch(() => null);
  }

  private async countRedisKeys(): Promise<number> {
    let count = 0;
    for (const kind of KINDS)
      for await (const batch of this.store.scan(this.keys.pattern(kind))) count += batch.length;
    return count + ((await this.store.get(this.keys.defaults())) ? 1 : 0);
  }
}
