import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { EVENT_PUBLISHER, KAFKA, TOPICS } from '#messaging/messaging.constants';
import { EventConsumer, PermanentFailure, type IncomingMessage } from '#messaging/event-consumer';
import type { EventPublisher } from '#messaging/event-publisher';
import { DeadLetterHeaders, consumerGroup, type TopicNames } from '#messaging/topics';
import { OUTCOME_BUS } from '#caching/caching.constants';
import type { OutcomeBus } from '#caching/outcome-bus';
import { ProjectionRepository, type ApplyOutcome } from '#persistence/projection.repository';
import { parseEnvelope, type DomainEvent } from '#domain/event-validation';
import { CacheRefresher } from './cache-refresher.js';
import { isTransientError } from './transient-errors.js';
import { LOGGER, WORKER_METRICS, type WorkerMetrics } from '../worker.constants.js';

/** Consumes `governance.events`: validate, apply, refresh caches, announce, commit. */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: EventConsumer;
  private ready = false;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(WARDEN_CONFIG) config: WardenConfig,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(OUTCOME_BUS) private readonly outcomes: OutcomeBus,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(WORKER_METRICS) private readonly metrics: WorkerMetrics,
    private readonly projection: ProjectionRepository,
    private readonly refresher: CacheRefresher,
  ) {
    this.consumer = new EventConsumer(
      kafka,
      { groupId: consumerGroup(config.namespace), topic: topics.Events, concurrency: 6 },
      {
        handle: (message) => this.handle(message),
        isTransient: isTransientError,
        onPoison: (message, reason) => this.deadLetter(message, reason),
        onRetry: (message, error, attempt, delayMs) => {
          this.metrics.retries.inc();
          this.log.warn(
            { partition: message.partition, offset: message.offset, attempt, delayMs, err: String(error) },
            'event not applied yet; retrying',
          );
        },
      },
    );
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.ready = true;
      this.log.info({ assignment: e.payload.memberAssignment }, 'joined the consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.log.error({ err: String(e.payload.error), restart: e.payload.restart }, 'consumer crashed');
    });
  }

  isReady(): boolean {
    return this.ready;
  }

  describeGroup() {
    return this.consumer.describeGroup();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.publisher.connect();
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  private async handle(message: IncomingMessage): Promise<void> {
    this.metrics.events.inc({ outcome: 'consumed' });
    const parsed = parseEnvelope(message.value);
    if (!parsed.ok) {
      throw new PermanentFailure(parsed.reason);
    }
    const started = process.hrtime.bigint();
    const event = parsed.event;
    const outcome = await this.projection.apply(event);
    await this.settle(event, outcome, message.headers[DeadLetterHeaders.RequestId]);
    this.metrics.applyLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  private async settle(event: DomainEvent, outcome: ApplyOutcome, requestId?: string): Promise<void> {
    const context = { eventId: event.id, type: event.type, aggregate: event.aggregate, requestId };
    switch (outcome.status) {
      case 'duplicate':
        this.metrics.events.inc({ outcome: 'duplicate' });
        this.log.info(context, 'event already processed; no second effect');
        return;
      case 'rejected':
        this.metrics.events.inc({ outcome: 'rejected' });
        this.log.info({ ...context, reason: outcome.reason }, 'event rejected');
        await this.announce({
          eventId: event.id,
          status: 'rejected',
          aggregate: event.aggregate,
          code: outcome.code,
          reason: outcome.reason,
          at: Date.now(),
        });
        return;
      case 'applied': {
        const { change } = outcome;
        this.metrics.events.inc({ outcome: 'applied' });
        await this.refresher.refresh(event.aggregate);
        await this.publisher
          .publish({
            topic: this.topics.Changes,
            key: event.aggregate,
            value: JSON.stringify({
              eventId: change.eventId,
              type: change.type,
              aggregate: change.aggregate,
              actor: event.actor,
              version: change.version,
              revision: change.revision,
              state: change.after ?? null,
              appliedAt: change.appliedAt,
            }),
            headers: requestId ? { [DeadLetterHeaders.RequestId]: requestId } : undefined,
          })
          .catch((error: unknown) =>
            this.log.error({ ...context, err: String(error) }, 'change not published to the change feed'),
          );
        await this.announce({
          eventId: event.id,
          status: 'applied',
          aggregate: event.aggregate,
          revision: change.revision,
          version: change.version,
          at: Date.now(),
        });
        this.log.info({ ...context, version: change.version, revision: change.revision }, 'event applied');
        return;
      }
    }
  }

  private async announce(message: Parameters<OutcomeBus['publish']>[0]): Promise<void> {
    // The outcome is already in PostgreSQL; a lost announcement only delays caches by a TTL
    // and makes a waiting writer fall back to polling.
    await this.outcomes.publish(message).catch(() => undefined);
  }

  private async deadLetter(message: IncomingMessage, reason: string): Promise<void> {
    await this.publisher.publish({
      topic: this.topics.DeadLetters,
      key: message.key ?? '',
      value: message.value ?? Buffer.alloc(0),
      headers: {
        ...message.headers,
        [DeadLetterHeaders.Reason]: reason,
        [DeadLetterHeaders.OriginalPartition]: String(message.partition),
        [DeadLetterHeaders.OriginalOffset]: message.offset,
      },
    });
    const eventId = parseEventId(message.value);
    await this.projection.recordDeadLetter({
      eventId,
      reason,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      payload: message.value,
    });
    this.metrics.events.inc({ outcome: 'dead-lettered' });
    this.log.warn({ partition: message.partition, offset: message.offset, eventId, reason }, 'event dead-lettered');
    if (eventId) {
      await this.announce({
        eventId,
        status: 'dead-lettered',
        aggregate: message.key ?? '',
        reason,
        at: Date.now(),
      });
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseEventId(value: Buffer | null): string | undefined {
  try {
    const id = (JSON.parse(value?.toString('utf8') ?? '') as { id?: unknown }).id;
    return typeof id === 'string' && UUID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
