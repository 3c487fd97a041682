import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { EVENT_PUBLISHER, TOPICS } from '#messaging/messaging.constants';
import { BrokerUnavailableError, type EventPublisher } from '#messaging/event-publisher';
import { DeadLetterHeaders, type TopicNames } from '#messaging/topics';
import type { TokenGrant, WardenConfig } from '#config/warden-config';
import { WARDEN_CONFIG } from '#config/config.constants';
import { SIGNATURE_HEADER, signatureOf } from '#messaging/envelope-signature';
import type { EventOutcomeMessage } from '#caching/outcome-bus';
import { EventLogRepository } from '#persistence/event-log.repository';
import { aggregateOfData, validateEventData } from '#domain/event-validation';
import { SCHEMA_VERSION, type EventEnvelope, type EventType } from '#domain/event.model';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import { OutcomeListener } from '../outcomes/outcome-listener.service.js';
import { WriteAuthorizer } from './write-authorizer.service.js';
import { LOGGER } from '#observability/observability.constants';
import { API_METRICS, type ApiMetrics } from '../api.constants.js';

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

export interface SubmittedWrite {
  eventId: string;
  aggregate: string;
  /** Present when the writer waited and the worker finished in time. */
  outcome?: EventOutcomeMessage;
}

/** What `publish` sends: an envelope of section 4, or a change request's apply. */
export type OutgoingEnvelope = Omit<EventEnvelope, 'type' | 'data'> & {
  type: string;
  data: object;
};

/** How long a stopping API waits for the writes it is publishing. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Turns a validated write into an event on `governance.events`. The promise settles
 * only after Kafka acknowledged it (`acks=all`; concurrent writes share one `sendBatch`
 * and each is answered only when the batch holding it is acknowledged); with `Prefer:
 * wait` it also waits for the worker's outcome, by announcement or, should that be
 * lost, by polling.
 */
@Injectable()
export class EventGateway implements BeforeApplicationShutdown {
  private closing = false;
  private readonly publishing = new Set<Promise<unknown>>();
  private stopWaiting!: () => void;
  private readonly stopped = new Promise<undefined>(
    (resolve) => (this.stopWaiting = () => resolve(undefined)),
  );

  constructor(
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly outcomes: OutcomeListener,
    private readonly eventLog: EventLogRepository,
    private readonly authorizer: WriteAuthorizer,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(API_METRICS) private readonly metrics: ApiMetrics,
  ) {}

  /**
   * SIGTERM: new writes are refused (503, so clients retry elsewhere), the writes being
   * published get their acknowledgement before the producer disconnects, and writers
   * waiting for an outcome are answered `202` at once: their write is accepted.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stopWaiting();
    const deadline = new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS).unref());
    await Promise.race([Promise.allSettled([...this.publishing]), deadline]);
  }

  async submit(command: WriteCommand, waitSeconds?: number): Promise<SubmittedWrite> {
    this.refuseWhileClosing();
    const errors = validateEventData(command.type, command.data);
    if (errors.length > 0) throw validationFailed(errors);
    await this.authorizer.authorize(command.grant, command.type, command.data);
    const envelope: EventEnvelope = {
      id: randomUUID(),
      type: command.type,
      aggregate: aggregateOfData(command.type, command.data),
      actor: command.actor,
      occurredAt: new Date().toISOString(),
      schemaVersion: SCHEMA_VERSION,
      ...(command.expectedVersion !== undefined
        ? { expectedVersion: command.expectedVersion }
        : {}),
      data: command.data,
    };
    return this.publish(envelope, command.requestId, waitSeconds);
  }

  /**
   * Publishes an envelope that its caller built and checked (a change request's
   * `change-request.applied`), signed, keyed by its aggregate, answered as `submit` is.
   */
  async publish(
    envelope: OutgoingEnvelope,
    requestId: string,
    waitSeconds?: number,
  ): Promise<SubmittedWrite> {
    this.refuseWhileClosing();
    const { aggregate } = envelope;
    const waiter = waitSeconds ? this.outcomes.expect(envelope.id) : undefined;
    const value = JSON.stringify(envelope);
    const acceptedAt = Date.now();
    const published = this.publisher.publish({
      topic: this.topics.Events,
      key: aggregate,
      value,
      // The worker trusts the actor of a signed envelope: it is this token's name.
      headers: {
        [DeadLetterHeaders.RequestId]: requestId,
        [SIGNATURE_HEADER]: signatureOf(value, this.config.signingKey),
      },
    });
    this.publishing.add(published);
    try {
      await published;
    } catch (error) {
      waiter?.cancel();
      if (error instanceof BrokerUnavailableError) {
        this.log.warn({ requestId, err: error.message }, 'write refused: Kafka unavailable');
        throw new ProblemException(
          503,
          'The event log is unavailable; the write was not accepted. Retry later.',
          {
            headers: { 'retry-after': '5' },
          },
        );
      }
      throw error;
    } finally {
      this.publishing.delete(published);
    }
    this.metrics.writeStages.observe('appended', acceptedAt, Date.now());
    this.outcomes.markAccepted(envelope.id, aggregate);
    this.log.info(
      { requestId, eventId: envelope.id, type: envelope.type, aggregate },
      'event accepted',
    );
    // Lets GET /v1/events/{id} answer "accepted" before the worker has seen it.
    if (!waiter || !waitSeconds) return { eventId: envelope.id, aggregate };
    const outcome = await this.waitFor(envelope.id, waiter, waitSeconds * 1000);
    return { eventId: envelope.id, aggregate, outcome };
  }

  private refuseWhileClosing(): void {
    if (!this.closing) return;
    throw new ProblemException(
      503,
      'This API instance is shutting down; the write was not accepted. Retry.',
      {
        headers: { 'retry-after': '1' },
      },
    );
  }

  private async waitFor(
    eventId: string,
    waiter: ReturnType<OutcomeListener['expect']>,
    timeoutMs: number,
  ): Promise<EventOutcomeMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    let settled: EventOutcomeMessage | undefined;
    void waiter.outcome.then((m) => (settled = m));
    // Poll PostgreSQL now and then in case the announcement is lost (Redis away).
    while (!settled && !this.closing && Date.now() < deadline) {
      const slice = Math.min(1000, deadline - Date.now());
      const announced = await Promise.race([
        waiter.outcome,
        this.stopped,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), slice)),
      ]);
      if (announced) return announced;
      const recorded = await this.eventLog.outcome(eventId).catch(() => undefined);
      if (recorded) {
        const message: EventOutcomeMessage = { ...recorded, at: Date.now() };
        this.outcomes.dispatch(message);
        return message;
      }
    }
    waiter.cancel();
    return settled;
  }
}
