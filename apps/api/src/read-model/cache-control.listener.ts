import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { CACHE_CONTROL_SUBSCRIBER, CACHE_KEYS } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import { CacheControlBus, type CacheCommand } from '#caching/cache-control.bus';
import { LOGGER } from '#observability/observability.constants';
import { CatalogCache } from './catalog-cache.service.js';
import type { RedisConnection } from '#caching/redis-client';

/** What else on this instance acts on an admin's command; `resync` after a reconnect (commands may have been missed). */
export type CacheCommandListener = (command: CacheCommand | { kind: 'resync' }) => void;

/**
 * Applies admins' invalidations, from whichever API instance they came, to this instance's
 * memory, and hands every command to the listeners that registered. One subscription per
 * instance: the publisher counts subscribers as the instances that heard it.
 */
@Injectable()
export class CacheControlListener implements OnModuleInit {
  private readonly listeners: CacheCommandListener[] = [];

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
      () => {
        this.catalog.clear();
        this.tell({ kind: 'resync' });
      },
    ).catch((error: unknown) => {
      this.log.warn({ err: String(error) }, 'cache-control channel not subscribed yet');
    });
  }

  listen(listener: CacheCommandListener): void {
    this.listeners.push(listener);
  }

  apply(command: CacheCommand): void {
    switch (command.kind) {
      case 'flush':
        this.catalog.clear();
        break;
      case 'invalidate':
        this.catalog.invalidate({ aggregate: command.aggregate });
        break;
      case 'protection-rules':
        // The protection rules' listener reads them again; the catalog is unchanged.
        break;
    }
    this.tell(command);
  }

  private tell(command: CacheCommand | { kind: 'resync' }): void {
    for (const listener of this.listeners) listener(command);
  }
}
