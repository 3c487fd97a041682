import { Controller, Get, Param } from '@nestjs/common';
import { AcceptedEventsStore } from '#caching/accepted-events.store';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { EventLogRepository } from '#persistence/event-log.repository';
import type { EventStatus } from '#domain/event.model';
import { EventPath } from '../http/path-params.dto.js';
import { ProblemException } from '../http/problem.js';
import { ApiValidationProblem } from '../openapi/openapi.decorators.js';
import { EventStatusSchema } from '../openapi/response.schemas.js';

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
    private readonly accepted: AcceptedEventsStore,
  ) {}

  /** The worker's verdict once there is one; `accepted` while the event waits in Kafka. */
  @Get(':eventId')
  @ApiOperation({ summary: "What became of a write's event" })
  @ApiOkResponse({ type: EventStatusSchema })
  @ApiValidationProblem()
  @ApiNotFoundResponse({ description: 'No event with this id is known' })
  async status(@Param() { eventId }: EventPath): Promise<EventStatusView> {
    const outcome = await this.eventLog.outcome(eventId);
    if (outcome) {
      const { code: _code, type: _type, ...view } = outcome;
      return view;
    }
    const aggregate = await this.accepted.aggregateOf(eventId);
    if (aggregate !== undefined) return { eventId, status: 'accepted', aggregate };
    throw new ProblemException(404, `No event ${eventId} is known`);
  }
}
