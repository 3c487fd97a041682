import type { FactoryProvider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';

/**
 * Fails commands at once while disconnected (no offline queue), and after a second when
 * Redis stops answering on an open connection, so that a missing Redis turns into a
 * cache miss, never into a request that hangs; reconnects forever.
 */
export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    lazyConnect: false,
  });
  // Errors surface on the commands that fail; the connection itself just reconnects.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * A connection of its own for one subscription, made from the configuration. The module
 * that provides it closes it at shutdown.
 */
export function subscriberProvider(token: symbol, name: string): FactoryProvider<Redis> {
  return {
    provide: token,
    inject: [WARDEN_CONFIG],
    useFactory: (config: WardenConfig) => createRedis(config.redisUrl, name),
  };
}
