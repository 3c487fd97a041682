import { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from './redis-client.js';

/*
 * Announcements on a Redis Cluster use sharded pub/sub (SPUBLISH/SSUBSCRIBE): a channel
 * lives in one slot, so its publisher and all its subscribers talk to the same master.
 * That shared fate is what makes a failover safe. When the master dies, every subscriber
 * loses its connection at that moment, resubscribes on the promoted replica and resyncs
 * (drops its in-process copies), while the publisher retries on the new master until the
 * failover is over. Plain PUBLISH would be broadcast to every node, but a publisher whose
 * node died would lose messages that subscribers on other nodes never learn they missed.
 */

/** How long a publish is retried while a failover moves the channel's slot. */
const PUBLISH_RETRY_MS = 15_000;
const RETRY_INTERVAL_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** PUBLISH on one server; SPUBLISH on a cluster, retried across a failover of the channel's master. */
export async function publishTo(
  redis: RedisConnection,
  channel: string,
  payload: string,
): Promise<number> {
  if (!(redis instanceof Cluster)) return redis.publish(channel, payload);
  const deadline = Date.now() + PUBLISH_RETRY_MS;
  for (;;) {
    try {
      return Number(await redis.spublish(channel, payload));
    } catch (error) {
      // A cluster that is wholly away is not a failover: subscribers resync when it is back.
      if (redis.status !== 'ready' || Date.now() >= deadline) throw error;
      redis.refreshSlotsCache();
      await sleep(RETRY_INTERVAL_MS);
    }
  }
}

/**
 * SSUBSCRIBE to one channel on the master that owns its slot, on a connection of its
 * own, and follow that master across failovers: after a lost connection it asks the
 * cluster for the slot's master again, resubscribes there and then calls `onResync`,
 * since whatever was published meanwhile may have been missed.
 */
export class ShardChannelSubscription {
  private connection?: Redis;
  private closed = false;
  private subscribedOnce = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly channel: string,
    private readonly onMessage: (raw: string) => void,
    private readonly onResync: () => void,
  ) {
    cluster.once('end', () => this.close());
  }

  /** Resolves once subscribed; on failure it rejects but keeps trying in the background. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (error) {
      void this.reconnect();
      throw error;
    }
  }

  close(): void {
    this.closed = true;
    this.connection?.disconnect();
    this.connection = undefined;
  }

  private async connect(): Promise<void> {
    const owner = await this.masterOfChannel();
    const connection = new Redis({
      ...owner,
      connectionName: `${this.cluster.options.redisOptions?.connectionName ?? 'warden'}-shard`,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      // No reconnect to the same address: the slot may have another master by then.
      retryStrategy: () => null,
    });
    connection.on('error', () => undefined);
    connection.on('smessage', (channel: string, raw: string) => {
      if (channel === this.channel) this.onMessage(raw);
    });
    try {
      await connection.connect();
      await connection.ssubscribe(this.channel);
    } catch (error) {
      connection.disconnect();
      throw error;
    }
    if (this.closed) {
      connection.disconnect();
      return;
    }
    this.connection = connection;
    connection.once('close', () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      void this.reconnect();
    });
    if (this.subscribedOnce) this.onResync();
    this.subscribedOnce = true;
  }

  private async reconnect(): Promise<void> {
    // A subscription that failed at start also resyncs once it is made.
    this.subscribedOnce = true;
    while (!this.closed && !this.connection) {
      await sleep(RETRY_INTERVAL_MS);
      if (this.closed) return;
      await this.connect().catch(() => undefined);
    }
  }

  /** Asks the cluster (CLUSTER SLOTS) which master serves the channel's slot now. */
  private async masterOfChannel(): Promise<{ host: string; port: number }> {
    const slot = Number(await this.cluster.cluster('KEYSLOT', this.channel));
    const ranges = await this.cluster.cluster('SLOTS');
    const master = ranges.find(([from, to]) => from <= slot && slot <= to)?.[2];
    if (!master) throw new Error(`no master serves slot ${slot} of ${this.channel}`);
    return { host: master[0], port: Number(master[1]) };
  }
}
