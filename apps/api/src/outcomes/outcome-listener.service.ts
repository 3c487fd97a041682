import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { CACHE_KEYS, OUTCOMES_SUBSCRIBER } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import { AcceptedEventsStore } from '#caching/accepted-events.store';
import { OutcomeBus, type EventOutcomeMessage } from '#caching/outcome-bus';
import { LOGGER } from '#observability/observability.constants';
import { API_METRICS, type ApiMetrics } from '../api.constants.js';
import type { RedisConnection } from '#caching/redis-client';

type OutcomeHandler = (message: EventOutcomeMessage) => void;

/**
 * Hears the worker's announcements on a dedicated Redis connection. Caches drop their
 * copies first, then waiting writers wake, so a writer that waited never reads its own
 * change from a stale copy afterwards.
 */
@Injectable()
export class OutcomeListener implements OnModuleInit {
  private readonly invalidators: OutcomeHandler[] = [];
  private readonly resyncs: (() => void)[] = [];
  private readonly waiters = new Map<string, (message: EventOutcomeMessage) => void>();
  private readonly acceptedAt = new Map<string, number>();

  constructor(
    @Inject(OUTCOMES_SUBSCRIBER) private readonly subscriber: RedisConnection,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    private readonly accepted: AcceptedEventsStore,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(API_METRICS) private readonly metrics: ApiMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    await OutcomeBus.subscribe(
      this.keys.outcomesChannel(),
      this.subscriber,
      (message) => this.dispatch(message, true),
      () => {
        this.log.warn('outcome channel reconnected: dropping in-process caches');
        for (const resync of this.resyncs) resync();
      },
    ).catch((error: unknown) => {
      // Redis may be away at start: ioredis resubscribes on reconnect, and until then
      // L1 entries expire by TTL and waiting writers poll PostgreSQL.
      this.log.warn({ err: String(error) }, 'outcome channel not subscribed yet');
    });
  }

  /** Registers what to drop when an aggregate changes, and what to do after a gap. */
  onChange(invalidate: OutcomeHandler, resync: () => void): void {
    this.invalidators.push(invalidate);
    this.resyncs.push(resync);
  }

  /** Resolves with the outcome of `eventId` once announced; call before publishing. */
  expect(eventId: string): { outcome: Promise<EventOutcomeMessage>; cancel: () => void } {
    let resolve!: (message: EventOutcomeMessage) => void;
    const outcome = new Promise<EventOutcomeMessage>((r) => (resolve = r));
    this.waiters.set(eventId, resolve);
    return { outcome, cancel: () => this.waiters.delete(eventId) };
  }

  /** Kafka acknowledged the event: GET /v1/events/{id} says `accepted` until the worker decides. */
  markAccepted(eventId: string, aggregate: string): void {
    this.accepted.record(eventId, aggregate);
    this.acceptedAt.set(eventId, Date.now());
    // Bounded: entries for events whose outcome this instance never hears are dropped.
    if (this.acceptedAt.size > 100_000) this.acceptedAt.clear();
  }

  /** Applies an outcome learnt another way (polling) exactly as an announcement. */
  dispatch(message: EventOutcomeMessage, announced = false): void {
    if (message.status === 'applied') {
      for (const invalidate of this.invalidators) invalidate(message);
      // `at` is the worker's announce time; a polled outcome has no announcement to time.
      if (announced && typeof message.at === 'number') {
        this.metrics.writeStages.observe('dropped', message.at, Date.now());
      }
    }
    const accepted = this.acceptedAt.get(message.eventId);
    if (accepted !== undefined) {
      this.acceptedAt.delete(message.eventId);
      this.metrics.propagation.observe((Date.now() - accepted) / 1000);
    }
    const waiter = this.waiters.get(message.eventId);
    if (waiter) {
      this.waiters.delete(message.eventId);
      waiter(message);
    }
  }
}
