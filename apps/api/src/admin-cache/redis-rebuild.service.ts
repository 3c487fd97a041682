import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CACHE_KEYS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import { VersionedRedisStore } from '#caching/versioned-redis.store';
import { ReadModelLoader } from '#caching/read-model.loader';
import { ReadModelWriter } from '#caching/read-model.writer';
import { defaultsRevisionAggregate } from '#persistence/revisions';
import { serviceAggregate } from '#domain/event.model';
import { LOGGER } from '#observability/observability.constants';
import { RecordHealth } from '../read-model/record-health.service.js';
import { ProblemException } from '../http/problem.js';
import { forEachBounded } from './bounded-concurrency.js';
import { CacheInvalidation } from './cache-invalidation.service.js';
import { SERVICE_KEY_KINDS } from './service-key-kinds.js';

/** Loads from PostgreSQL at once during a rebuild: leaves most of the pool to live reads. */
const REBUILD_CONCURRENCY = 6;

export interface RebuildReport {
  services: number;
  keysWritten: number;
  /** Keys the worker had meanwhile written at a newer revision: left as they were. */
  keysNewer: number;
  failed: number;
  durationMs: number;
}

/** `POST /admin/cache/rebuild`: Redis written again from the system of record. */
@Injectable()
export class RedisRebuild {
  constructor(
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly store: VersionedRedisStore,
    private readonly loader: ReadModelLoader,
    private readonly writer: ReadModelWriter,
    private readonly health: RecordHealth,
    private readonly invalidation: CacheInvalidation,
  ) {}

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
    const slugs = await this.knownSlugs();
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
    await this.invalidation.broadcast({ kind: 'flush' });
    report.durationMs = Date.now() - started;
    this.log.info(report, 'Redis rebuilt from PostgreSQL');
    return report;
  }

  /** The services PostgreSQL has, and those Redis still holds keys of. */
  private async knownSlugs(): Promise<Set<string>> {
    const slugs = new Set<string>();
    for await (const page of this.loader.slugs()) for (const slug of page) slugs.add(slug);
    for (const kind of SERVICE_KEY_KINDS) {
      for await (const batch of this.store.scan(this.keys.pattern(kind))) {
        for (const key of batch) {
          const parsed = this.keys.parse(key);
          if (parsed) slugs.add(parsed.slug);
        }
      }
    }
    return slugs;
  }
}
