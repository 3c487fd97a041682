import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { TokenGrant } from '#config/warden-config';
import type { EventOutcomeMessage } from '#caching/outcome-bus';
import { aggregateOfData, validateEventData } from '#domain/event-validation';
import { SCHEMA_VERSION, type EventEnvelope, type EventType } from '#domain/event.model';
import { validationFailed } from '../http/validation.js';
import { OutcomeListener } from '../outcomes/outcome-listener.service.js';
import { EnvelopeSealer } from './envelope-sealer.js';
import { LOGGER } from '#observability/observability.constants';
import { WriteAuthorizer } from './write-authorizer.service.js';
import { EventAppender } from './event-appender.service.js';
import { OutcomeWaiter } from './outcome-waiter.service.js';

export interface WriteCommand {
  type: EventType;
  /** The body plus the path's identifiers: exactly the event's `data`. */
  data: Record<string, unknown>;
  actor: string;
  /** The writer's token: the write must lie within its teams and environments. */
  grant: TokenGrant;
  expectedVersion?: number;
  requestId: string;
}

/** What `publish` appends: an envelope of section 4, or a change request's apply. */
export type OutgoingEnvelope = Omit<EventEnvelope, 'type' | 'data'> & {
  type: string;
  data: object;
};

export interface SubmittedWrite {
  eventId: string;
  aggregate: string;
  /** Present when the writer waited and the worker finished in time. */
  outcome?: EventOutcomeMessage;
}

/**
 * Turns a validated write into an event on `governance.events`: checks it as the worker
 * will (the same `validateEventData`) and against the token's scope, appends it, and
 * with `Prefer: wait` waits for the worker's outcome.
 */
@Injectable()
export class EventGateway {
  constructor(
    private readonly authorizer: WriteAuthorizer,
    private readonly sealer: EnvelopeSealer,
    private readonly appender: EventAppender,
    private readonly waiter: OutcomeWaiter,
    private readonly outcomes: OutcomeListener,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async submit(command: WriteCommand, waitSeconds?: number): Promise<SubmittedWrite> {
    this.appender.refuseWhenClosing();
    const errors = validateEventData(command.type, command.data);
    if (errors.length > 0) throw validationFailed(errors);
    await this.authorizer.authorize(command.grant, command.type, command.data);
    const aggregate = aggregateOfData(command.type, command.data);
    const envelope: EventEnvelope = {
      id: randomUUID(),
      type: command.type,
      aggregate,
      actor: command.actor,
      occurredAt: new Date().toISOString(),
      schemaVersion: SCHEMA_VERSION,
      ...(command.expectedVersion !== undefined
        ? { expectedVersion: command.expectedVersion }
        : {}),
      data: this.sealer.sealed(command.type, command.data),
    };
    return this.publish(envelope, command.requestId, waitSeconds);
  }

  /**
   * Appends an envelope that its caller built and checked (a change request's
   * `change-request.applied`), answered as `submit` answers.
   */
  async publish(
    envelope: OutgoingEnvelope,
    requestId: string,
    waitSeconds?: number,
  ): Promise<SubmittedWrite> {
    const { aggregate } = envelope;
    const expected = waitSeconds ? this.waiter.expect(envelope.id) : undefined;
    try {
      await this.appender.append(envelope, requestId);
    } catch (error) {
      expected?.cancel();
      throw error;
    }
    // Lets GET /v1/events/{id} answer "accepted" before the worker has seen it.
    this.outcomes.markAccepted(envelope.id, aggregate);
    this.log.info(
      { requestId, eventId: envelope.id, type: envelope.type, aggregate },
      'event accepted',
    );
    if (!expected || !waitSeconds) return { eventId: envelope.id, aggregate };
    const outcome = await this.waiter.waitFor(envelope.id, expected, waitSeconds * 1000);
    return { eventId: envelope.id, aggregate, outcome };
  }
}
