import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { KAFKA, TOPICS } from '#messaging/messaging.constants';
import { EventConsumer, type IncomingMessage } from '#messaging/event-consumer';
import { readEnvelopes, unreadableMessage } from '#messaging/envelope-reader';
import { DeadLetterHeaders, consumerGroup, type TopicNames } from '#messaging/topics';
import { CACHE_KEYS, OUTCOME_BUS, TIERED_CACHE } from '#caching/caching.constants';
import type { CacheKeys } from '#caching/cache-keys';
import type { TieredCache } from '#caching/tiered-cache';
import type { OutcomeBus, EventOutcomeMessage } from '#caching/outcome-bus';
import type { VersionedValue } from '#caching/versioned-redis.store';
import {
  ProjectionRepository,
  type AggregateDocument,
  type AppliedChange,
  type BatchResult,
  type DeadLetter,
  type OutboxMessage,
} from '#persistence/projection.repository';
import type { DomainEvent } from '#domain/event-validation';
import { CacheRefresher } from './cache-refresher.js';
import { isTransientError } from './transient-errors.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { LOGGER, WORKER_METRICS, type WorkerMetrics } from '../worker.constants.js';

/** Runs of one partition applied in one transaction; also bounds one retry's work. */
const MAX_BATCH = 500;

interface ParsedEvent {
  event: DomainEvent;
  requestId?: string;
}

/**
 * Consumes `governance.events`: each run of messages of a partition is validated,
 * applied in one transaction (state, audit, outcomes, dead letters and the change feed's
 * outbox together), then written to Redis in one pipelined round and announced; the
 * offsets are committed only after that.
 */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: EventConsumer;
  private readonly groupId: string;
  private ready = false;
  private assigned: number[] = [];
  private admin?: Admin;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(OUTCOME_BUS) private readonly outcomes: OutcomeBus,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(TIERED_CACHE) private readonly cache: TieredCache,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(WORKER_METRICS) private readonly metrics: WorkerMetrics,
    private readonly projection: ProjectionRepository,
    private readonly refresher: CacheRefresher,
    private readonly relay: OutboxRelay,
  ) {
    this.groupId = consumerGroup(config.namespace);
    this.consumer = new EventConsumer(
      kafka,
      { groupId: this.groupId, topic: topics.Events, concurrency: 6, maxBatchSize: MAX_BATCH },
      {
        handle: (message) => this.handleBatch([message]),
        handleBatch: (messages) => this.handleBatch(messages),
        isTransient: isTransientError,
        onPoison: (message, reason) => this.deadLetter(message, reason),
        onRetry: (message, error, attempt, delayMs) => {
          this.metrics.retries.inc();
          this.log.warn(
            {
              partition: message.partition,
              offset: message.offset,
              attempt,
              delayMs,
              err: String(error),
            },
            'events not applied yet; retrying',
          );
        },
        onCommitted: (partition, offset, highWatermark) => {
          this.metrics.lag.set(
            { partition: String(partition) },
            Math.max(0, Number(BigInt(highWatermark) - BigInt(offset))),
          );
        },
        onCrash: (error, willRestart) => {
          this.log.error({ err: String(error), willRestart }, 'consumer crashed');
        },
      },
    );
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.ready = true;
      this.assigned = [...(e.payload.memberAssignment[topics.Events] ?? [])].sort((a, b) => a - b);
      this.metrics.lag.reset();
      this.log.info(
        { memberId: e.payload.memberId, partitions: this.assigned },
        'joined the consumer group',
      );
    });
  }

  isReady(): boolean {
    return this.ready;
  }

  describeGroup() {
    return this.consumer.describeGroup();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.relay.start();
    await this.consumer.start();
  }

  /** SIGTERM: finish the run in flight, commit it, leave the group, send what is owed. */
  async beforeApplicationShutdown(): Promise<void> {
    this.log.info('stopping: finishing the batch in flight');
    this.ready = false;
    await this.consumer.stop();
    this.log.info({ partitions: this.assigned }, 'offsets committed; left the consumer group');
    await this.relay.stop();
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** Sets the lag gauge of the partitions this member reads from the broker's offsets. */
  async refreshLag(): Promise<void> {
    if (this.assigned.length === 0) return;
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const [committed, ends] = await Promise.all([
      this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topics.Events] }),
      this.admin.fetchTopicOffsets(this.topics.Events),
    ]);
    const offsets = new Map(committed[0]?.partitions.map((p) => [p.partition, p.offset]) ?? []);
    for (const end of ends) {
      if (!this.assigned.includes(end.partition)) continue;
      const offset = offsets.get(end.partition);
      const from = offset !== undefined && offset !== '-1' ? BigInt(offset) : BigInt(end.low);
      this.metrics.lag.set(
        { partition: String(end.partition) },
        Math.max(0, Number(BigInt(end.high) - from)),
      );
    }
  }

  private async handleBatch(messages: IncomingMessage[]): Promise<void> {
    const started = process.hrtime.bigint();
    const read = readEnvelopes(messages, this.config);
    const parsed: ParsedEvent[] = read.events;
    const deadLetters = read.unreadable.map((letter) => this.withOutbox(letter));
    const requestIds = new Map(parsed.map((p) => [p.event.id, p.requestId]));
    const result = await this.projection.applyBatch({
      events: parsed.map((p) => p.event),
      deadLetters,
      feed: (event, change) => this.changeFeedMessage(event, change, requestIds.get(event.id)),
    });
    this.metrics.events.inc({ outcome: 'consumed' }, messages.length);
    this.relay.soon();
    await this.storeDocuments(result.documents);
    await this.settle(parsed, result, deadLetters);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (let i = 0; i < messages.length; i++) this.metrics.applyLatency.observe(seconds);
  }

  /** Logs, counts and announces each outcome once the batch is committed and cached. */
  private async settle(
    parsed: ParsedEvent[],
    result: BatchResult,
    deadLetters: DeadLetter[],
  ): Promise<void> {
    const announcements: EventOutcomeMessage[] = [];
    const redelivered = new Set<string>();
    const at = Date.now();
    parsed.forEach(({ event, requestId }, index) => {
      const outcome = result.outcomes[index];
      const context = {
        eventId: event.id,
        type: event.type,
        aggregate: event.aggregate,
        requestId,
      };
      switch (outcome.status) {
        case 'duplicate':
          this.metrics.events.inc({ outcome: 'duplicate' });
          this.log.info(context, 'event already processed; no second effect');
          {
            // A re-delivery means a worker may have died between the commit and the
            // cache write or the announcement: write the record's state again and
            // announce what the first delivery decided (a waiting writer gets that).
            const earlier = result.earlier.get(event.id);
            if (!earlier) return;
            if (earlier.status === 'applied') redelivered.add(event.aggregate);
            announcements.push({ eventId: event.id, aggregate: event.aggregate, at, ...earlier });
          }
          return;
        case 'rejected':
          this.metrics.events.inc({ outcome: 'rejected' });
          this.log.info({ ...context, reason: outcome.reason }, 'event rejected');
          announcements.push({
            eventId: event.id,
            status: 'rejected',
            aggregate: event.aggregate,
            code: outcome.code,
            reason: outcome.reason,
            at,
          });
          return;
        case 'applied': {
          const { change } = outcome;
          this.metrics.events.inc({ outcome: 'applied' });
          this.log.info(
            { ...context, version: change.version, revision: change.revision },
            'event applied',
          );
          announcements.push({
            eventId: event.id,
            status: 'applied',
            aggregate: event.aggregate,
            revision: change.revision,
            version: change.version,
            at,
          });
          return;
        }
      }
    });
    for (const letter of deadLetters) {
      this.reportDeadLetter(letter);
      if (letter.eventId) {
        announcements.push({
          eventId: letter.eventId,
          status: 'dead-lettered',
          aggregate: letter.key ?? '',
          reason: letter.reason,
          at,
        });
      }
    }
    await Promise.all([...redelivered].map((aggregate) => this.refresher.refresh(aggregate)));
    // The outcomes are already in PostgreSQL; a lost announcement only delays caches by a
    // TTL and makes a waiting writer fall back to polling.
    await Promise.all(announcements.map((m) => this.outcomes.publish(m).catch(() => undefined)));
  }

  /**
   * Writes the batch's documents to Redis in one pipelined round (the commands go out
   * back to back on one connection). An aggregate whose write failed is handed to the
   * refresher, which reloads it from PostgreSQL and keeps retrying while Redis is away.
   */
  private async storeDocuments(documents: AggregateDocument[]): Promise<void> {
    const entries = documents.flatMap((d) => this.cacheEntries(d));
    const results = await Promise.allSettled(entries.map((e) => this.cache.putL2(e.key, e.value)));
    const failed = new Set(
      entries.filter((_, i) => results[i].status === 'rejected').map((e) => e.aggregate),
    );
    for (const aggregate of failed) void this.refresher.refresh(aggregate);
  }

  private cacheEntries(
    document: AggregateDocument,
  ): { aggregate: string; key: string; value: VersionedValue }[] {
    const versioned = (value: unknown): VersionedValue => ({
      revision: document.revision,
      json: value === undefined ? undefined : JSON.stringify(value),
    });
    if (document.kind === 'defaults') {
      return [
        {
          aggregate: document.aggregate,
          key: this.keys.defaults(),
          value: versioned(document.defaults),
        },
      ];
    }
    return [
      {
        aggregate: document.aggregate,
        key: this.keys.service(document.slug),
        value: versioned(document.service),
      },
      {
        aggregate: document.aggregate,
        key: this.keys.snapshot(document.slug),
        value: versioned(document.snapshot),
      },
    ];
  }

  private changeFeedMessage(
    event: DomainEvent,
    change: AppliedChange,
    requestId?: string,
  ): OutboxMessage {
    return {
      topic: this.topics.Changes,
      key: event.aggregate,
      value: JSON.stringify({
        eventId: change.eventId,
        type: change.type,
        aggregate: change.aggregate,
        actor: event.actor,
        source: event.source ?? 'kafka',
        actorVerified: event.actorVerified ?? false,
        version: change.version,
        revision: change.revision,
        state: change.after ?? null,
        appliedAt: change.appliedAt,
      }),
      headers: requestId ? { [DeadLetterHeaders.RequestId]: requestId } : undefined,
    };
  }

  /** Adds the copy for the dead-letter topic: the original bytes, headers saying why and whence. */
  private withOutbox(letter: DeadLetter): DeadLetter {
    return {
      ...letter,
      outbox: {
        topic: this.topics.DeadLetters,
        key: letter.key,
        value: letter.payload ?? Buffer.alloc(0),
        headers: {
          ...letter.headers,
          [DeadLetterHeaders.Reason]: letter.reason,
          [DeadLetterHeaders.OriginalPartition]: String(letter.partition),
          [DeadLetterHeaders.OriginalOffset]: letter.offset,
        },
      },
    };
  }

  /** The poison path: a message that failed too often on its own. */
  private async deadLetter(message: IncomingMessage, reason: string): Promise<void> {
    const letter = this.withOutbox(unreadableMessage(message, reason));
    await this.projection.recordDeadLetter(letter);
    this.relay.soon();
    this.reportDeadLetter(letter);
    if (letter.eventId) {
      await this.outcomes
        .publish({
          eventId: letter.eventId,
          status: 'dead-lettered',
          aggregate: message.key ?? '',
          reason,
          at: Date.now(),
        })
        .catch(() => undefined);
    }
  }

  private reportDeadLetter(letter: DeadLetter): void {
    this.metrics.events.inc({ outcome: 'dead-lettered' });
    this.log.warn(
      {
        partition: letter.partition,
        offset: letter.offset,
        eventId: letter.eventId,
        requestId: letter.headers[DeadLetterHeaders.RequestId],
        reason: letter.reason,
      },
      'event dead-lettered',
    );
  }
}
