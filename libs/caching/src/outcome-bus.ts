import { Cluster } from 'ioredis';
import type { RedisConnection } from './redis-client.js';
import { publishTo, ShardChannelSubscription } from './shard-channel.js';
import type { EventStatus } from '#domain/event.model';
import type { RejectionCode } from '#domain/rejection';

/** What the worker announces after it is done with an event. */
export interface EventOutcomeMessage {
  eventId: string;
  status: Exclude<EventStatus, 'accepted'>;
  aggregate: string;
  /** The aggregate's revision after an applied change: caches older than it are stale. */
  revision?: number;
  /** For `defaults:*` changes: the global defaults revision after the change. */
  defaultsRevision?: number;
  version?: number;
  code?: RejectionCode;
  reason?: string;
  /** When the worker published the message (propagation delay is measured from the 202). */
  at: number;
}

/** Outcomes per pub/sub message at most (a run holds up to 500 events). */
const ANNOUNCED_AT_ONCE = 100;

/**
 * Redis pub/sub carries outcomes to every API instance: they drop their in-process
 * copies and wake writers waiting with `Prefer: wait`. Pub/sub is fire-and-forget, so
 * a subscriber that reconnects must assume it missed messages (`onResync`).
 */
export class OutcomeBus {
  constructor(
    private readonly channel: string,
    private readonly publisher: RedisConnection,
  ) {}

  async publish(message: EventOutcomeMessage): Promise<void> {
    await publishTo(this.publisher, this.channel, JSON.stringify(message));
  }

  /**
   * A run's outcomes, in order, as JSON arrays of at most ANNOUNCED_AT_ONCE: one message
   * per run instead of one per event, which was a PUBLISH for the worker and a message
   * for every API instance to parse per event.
   */
  async publishAll(messages: EventOutcomeMessage[]): Promise<void> {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += ANNOUNCED_AT_ONCE) {
      const part = messages.slice(i, i + ANNOUNCED_AT_ONCE);
      sends.push(
        publishTo(this.publisher, this.channel, JSON.stringify(part.length === 1 ? part[0] : part)),
      );
    }
    await Promise.all(sends);
  }

  /** Subscribes on a dedicated connection; `onResync` runs after every reconnect. */
  static subscribe(
    channel: string,
    subscriber: RedisConnection,
    onMessage: (message: EventOutcomeMessage) => void,
    onResync: () => void,
  ): Promise<void> {
    return subscribeJson<EventOutcomeMessage | EventOutcomeMessage[]>(
      channel,
      subscriber,
      (message) => {
        if (Array.isArray(message)) for (const one of message) onMessage(one);
        else onMessage(message);
      },
      onResync,
    );
  }
}

/**
 * Subscribes `subscriber` (a connection of its own: a subscribed connection runs no other
 * command) to a channel of JSON messages. Pub/sub is fire-and-forget, so after every
 * reconnect `onResync` runs: whatever was said meanwhile was lost. A subscription that
 * failed because Redis was away at start is made on the first connection that succeeds.
 * On a cluster the subscription is sharded and follows the channel's master (see
 * shard-channel.ts); it ends with the cluster client.
 */
export async function subscribeJson<T>(
  channel: string,
  subscriber: RedisConnection,
  onMessage: (message: T) => void,
  onResync: () => void,
): Promise<void> {
  const deliver = (raw: string) => {
    let message: T;
    try {
      message = JSON.parse(raw) as T;
    } catch {
      // A malformed message is ignored: TTLs bound how long anything stays cached.
      return;
    }
    onMessage(message);
  };
  if (subscriber instanceof Cluster) {
    return new ShardChannelSubscription(subscriber, channel, deliver, onResync).start();
  }
  let state: 'idle' | 'subscribing' | 'subscribed' = 'idle';
  const subscribe = async (resync: boolean) => {
    state = 'subscribing';
    try {
      await subscriber.subscribe(channel);
    } catch (error) {
      state = 'idle';
      throw error;
    }
    state = 'subscribed';
    if (resync) onResync();
  };
  subscriber.on('ready', () => {
    // ioredis re-subscribes by itself once a subscription was made.
    if (state === 'subscribed') onResync();
    else if (state === 'idle') subscribe(true).catch(() => undefined);
  });
  subscriber.on('message', (ch: string, raw: string) => {
    if (ch === channel) deliver(raw);
  });
  await subscribe(false);
}
