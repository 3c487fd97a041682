import { Controller, Get, Inject, Param } from '@nestjs/common';
import { CACHE_KEYS, REDIS } from '#caching/caching.constants';
import type { RedisConnection } from '#caching/redis-client';
import type { CacheKeys } from '#caching/cache-keys';
import { EventLogRepository } from '#persistence/event-log.repository';
import type { EventStatus } from '#domain/event.model';
import { EventIdParam } from '../http/validation.js';
import { ProblemException } from '../http/problem.js';

export interface EventStatusView {
  eventId: string;
  status: EventStatus;
  aggregate: string;
  reason?: string;
  version?: number;
}

@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly eventLog: EventLogRepository,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
  ) {}

  /** The worker's verdict once there is one; `accepted` while the event waits in Kafka. */
  @Get(':eventId')
  async status(@Param('eventId', EventIdParam) eventId: string): Promise<EventStatusView> {
    const outcome = await this.eventLog.outcome(eventId);
    if (outcome) {
      const { code: _code, type: _type, ...view } = outcome;
      return view;
    }
    const aggregate = await this.redis.get(this.keys.acceptedEvent(eventId)).catch(() => null);
    if (aggregate !== null) return { eventId, status: 'accepted', aggregate };
    throw new ProblemException(404, `No event ${eventId} is known`);
  }
}
