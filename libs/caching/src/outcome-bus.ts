import type { Redis } from 'ioredis';
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

/**
 * Redis pub/sub carries outcomes to every API instance: they drop their in-process
 * copies and wake writers waiting with `Prefer: wait`. Pub/sub is fire-and-forget, so
 * a subscriber that reconnects must assume it missed messages (`onResync`).
 */
export class OutcomeBus {
  constructor(
    private readonly channel: string,
    private readonly publisher: Redis,
  ) {}

  async publish(message: EventOutcomeMessage): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(message));
  }

  /** Subscribes on a dedicated connection; `onResync` runs after every reconnect. */
  static async subscribe(
    channel: string,
    subscriber: Redis,
    onMessage: (message: EventOutcomeMessage) => void,
    onResync: () => void,
  ): Promise<void> {
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) onResync();
      connectedBefore = true;
    });
    subscriber.on('message', (ch: string, raw: string) => {
      if (ch !== channel) return;
      try {
        onMessage(JSON.parse(raw) as EventOutcomeMessage);
      } catch {
        // A malformed announcement is ignored: TTLs bound how long anything stays cached.
      }
    });
    await subscriber.subscribe(channel);
    connectedBefore = true;
  }
}
