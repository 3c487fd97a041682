import type { CacheKeys } from './cache-keys.js';
import type { RedisConnection } from './redis-client.js';

/**
 * Long enough for any worker backlog; the worker removes a note once the event's outcome
 * is recorded, so the TTL only bounds the notes whose removal was lost.
 */
const ACCEPTED_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The events Kafka acknowledged, by id, with their aggregate: lets `GET /v1/events/{id}`
 * answer `accepted` before the worker has recorded an outcome, on any API instance. Best
 * effort: with Redis away a fresh event is simply unknown until the worker records it.
 */
export class AcceptedEventsStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: CacheKeys,
  ) {}

  /** Never fails: the write was accepted whether or not this note is kept. */
  record(eventId: string, aggregate: string): void {
    this.redis
      .set(this.keys.acceptedEvent(eventId), aggregate, 'EX', ACCEPTED_TTL_SECONDS)
      .catch(() => undefined);
  }

  /**
   * The worker recorded these events' outcomes, which answer from now on: their notes go
   * (at thousands of writes a second, notes kept for the TTL would fill Redis). Never fails.
   */
  forget(eventIds: readonly string[]): void {
    for (const eventId of eventIds)
      this.redis.unlink(this.keys.acceptedEvent(eventId)).catch(() => undefined);
  }

  /** The aggregate of an accepted event, or undefined if it is not known (or Redis is away). */
  async aggregateOf(eventId: string): Promise<string | undefined> {
    const aggregate = await this.redis.get(this.keys.acceptedEvent(eventId)).catch(() => null);
    return aggregate ?? undefined;
  }
}
