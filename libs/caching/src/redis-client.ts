import type { FactoryProvider } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';

/** One Redis server (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`). */
export type RedisConnection = Redis | Cluster;

export type RedisTarget = Pick<WardenConfig, 'redisUrl' | 'redisClusterNodes'>;

const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2000,
  commandTimeout: 1000,
} as const;

/**
 * Fails commands at once while disconnected (no offline queue), and after a second when
 * Redis stops answering on an open connection, so that a missing Redis turns into a
 * cache miss, never into a request that hangs; reconnects forever.
 *
 * With cluster nodes the client follows the cluster: it routes each key to the master of
 * its slot, follows MOVED/ASK after a failover, and refreshes the slot map every few
 * seconds so that a promoted replica is found even by a client that sends nothing.
 */
export function createRedis(target: RedisTarget, name: string): RedisConnection {
  const redis: RedisConnection =
    target.redisClusterNodes.length > 0
      ? new Cluster(target.redisClusterNodes, {
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          scaleReads: 'master',
          maxRedirections: 16,
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
          retryDelayOnTryAgain: 100,
          slotsRefreshTimeout: 2000,
          slotsRefreshInterval: 2000,
          clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
          redisOptions: { ...FAIL_FAST, connectionName: name },
        })
      : new Redis(target.redisUrl, {
          ...FAIL_FAST,
          // Commands issued in one turn of the event loop leave in one write, as the
          // cluster client's do: concurrent reads and the writes' records share syscalls.
          enableAutoPipelining: true,
          connectionName: name,
          retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
          lazyConnect: false,
        });
  // Errors surface on the commands that fail; the connection itself just reconnects.
  redis.on('error', () => undefined);
  return redis;
}

/** Every master: a scan of the whole keyspace has to visit each of them. */
export function masters(redis: RedisConnection): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/**
 * A connection of its own for one subscription, made from the configuration. The module
 * that provides it closes it at shutdown.
 */
export function subscriberProvider(token: symbol, name: string): FactoryProvider<RedisConnection> {
  return {
    provide: token,
    inject: [WARDEN_CONFIG],
    useFactory: (config: WardenConfig) => createRedis(config, name),
  };
}
