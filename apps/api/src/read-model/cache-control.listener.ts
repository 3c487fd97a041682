import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { CACHE_KEYS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import { CacheControlBus, type CacheCommand } from '#caching/cache-control.bus';
import { createRedis, type RedisConnection } from '#caching/redis-client';
import { LOGGER } from '../api.constants.js';
import { CatalogCache } from './catalog-cache.service.js';

/** Applies admins' invalidations, from whichever API instance they came, to this instance's memory. */
@Injectable()
export class CacheControlListener implements OnModuleInit, OnApplicationShutdown {
  private readonly subscriber: RedisConnection;

  constructor(
    @Inject(WARDEN_CONFIG) config: WardenConfig,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly catalog: CatalogCache,
  ) {
    this.subscriber = createRedis(config, 'warden-cache-control');
  }

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
    if (command.kind === 'flush') this.catalog.clear();
    else this.catalog.invalidate({ aggregate: command.aggregate });
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }
}
