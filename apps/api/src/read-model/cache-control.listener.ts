import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { CACHE_CONTROL_SUBSCRIBER, CACHE_KEYS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import { CacheControlBus, type CacheCommand } from '#caching/cache-control.bus';
import { LOGGER } from '#observability/observability.constants';
import { CatalogCache } from './catalog-cache.service.js';
import type { RedisConnection } from '#caching/redis-client';

/** Applies admins' invalidations, from whichever API instance they came, to this instance's memory. */
@Injectable()
export class CacheControlListener implements OnModuleInit {
  constructor(
    @Inject(CACHE_CONTROL_SUBSCRIBER) private readonly subscriber: RedisConnection,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly catalog: CatalogCache,
  ) {}

  async onModuleInit(): Promise<void> {
    await CacheControlBus.subscribe(
      this.keys.controlChannel(),
      this.subscriber,
      (command) => this.apply(command),
      // A flush that was said while this instance was away must not be lost.
      () => this.catalog.clear(),
    ).catch((error: unknown) => {
      this.log.warn({ err: String(error) }, 'cache-control channel not subscribed yet');
    });
  }

  apply(command: CacheCommand): void {
    switch (command.kind) {
      case 'flush':
        return this.catalog.clear();
      case 'invalidate':
        return this.catalog.invalidate({ aggregate: command.aggregate });
      case 'protection-rules':
        // The protection rules' own listener reads them again; the catalog is unchanged.
        return;
    }
  }
}
