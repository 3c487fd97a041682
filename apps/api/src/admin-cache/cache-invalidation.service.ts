import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CACHE_CONTROL_BUS } from '#caching/caching.constants';
import type { CacheCommand, CacheControlBus } from '#caching/cache-control.bus';
import { ReadModelWriter } from '#caching/read-model.writer';
import { LOGGER } from '#observability/observability.constants';
import { CacheControlListener } from '../read-model/cache-control.listener.js';
import { validationFailed } from '../http/validation.js';
import type { InvalidateCacheDto } from './admin-cache.dto.js';

export interface InvalidationReport {
  invalidated: string;
  /** API instances that heard the request (this one included); null when Redis could not carry it. */
  instances: number | null;
  /** Redis keys of the aggregate rewritten from PostgreSQL (0 for `all`: see rebuild). */
  redisKeysRewritten: number;
}

/** The admin's invalidation: one aggregate or everything, on every API instance. */
@Injectable()
export class CacheInvalidation {
  constructor(
    @Inject(CACHE_CONTROL_BUS) private readonly bus: CacheControlBus,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly writer: ReadModelWriter,
    private readonly listener: CacheControlListener,
  ) {}

  /**
   * One aggregate: its Redis keys are rewritten from PostgreSQL first (through the
   * compare-and-set, so a newer refresh is kept), then every instance drops its memory
   * copies, which it reads again from the repaired Redis. `all`: every instance drops
   * all of its memory; Redis is rebuilt by `RedisRebuild`.
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

  /** This instance at once (Redis may be away), then every instance through Redis. */
  async broadcast(command: CacheCommand): Promise<number | null> {
    this.listener.apply(command);
    return this.bus.publish(command).catch(() => null);
  }
}
