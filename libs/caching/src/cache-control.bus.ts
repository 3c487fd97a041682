import { subscribeJson } from './outcome-bus.js';
import type { RedisConnection } from './redis-client.js';
import { publishTo } from './shard-channel.js';

/**
 * An admin's request to every API instance: drop one aggregate's copies, or all of
 * them, or read the protection rules again (an admin changed them).
 */
export type CacheCommand =
  { kind: 'invalidate'; aggregate: string } | { kind: 'flush' } | { kind: 'protection-rules' };

/**
 * Carries admin invalidations to every API instance on a channel of their own, apart
 * from the worker's outcomes: an outcome means "this event was applied", which an
 * admin's request is not, and waiting writers must never be woken by one.
 */
export class CacheControlBus {
  constructor(
    private readonly channel: string,
    private readonly publisher: RedisConnection,
  ) {}

  /** Resolves with the number of instances subscribed at that moment (this one included). */
  async publish(command: CacheCommand): Promise<number> {
    return publishTo(this.publisher, this.channel, JSON.stringify(command));
  }

  static subscribe(
    channel: string,
    subscriber: RedisConnection,
    onCommand: (command: CacheCommand) => void,
    onResync: () => void,
  ): Promise<void> {
    return subscribeJson<CacheCommand>(
      channel,
      subscriber,
      (command) => {
        if (
          command?.kind === 'flush' ||
          command?.kind === 'protection-rules' ||
          (command?.kind === 'invalidate' && typeof command.aggregate === 'string')
        ) {
          onCommand(command);
        }
      },
      onResync,
    );
  }
}
