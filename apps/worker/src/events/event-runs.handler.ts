import { Controller, Inject, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { IncomingMessage } from '#messaging/event-consumer';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { readEnvelopes, unreadableMessage } from '#messaging/envelope-reader';
import {
  EventLogPatterns,
  PassErrorsToTransport,
  type PoisonMessage,
} from '#messaging/event-log.server';
import { ProjectionRepository } from '#persistence/projection.repository';
import { CacheRefresher } from './cache-refresher.js';
import { OutcomeAnnouncer } from './outcome-announcer.js';
import { OutboxMessages } from '../outbox/outbox-messages.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { WORKER_METRICS, type WorkerMetrics } from '../worker.constants.js';

/**
 * Applies `governance.events`: each run of messages of a partition (or, with
 * `WORKER_RUNS_IN_FLIGHT`, small runs of several partitions merged) is read, applied in
 * one transaction (state, audit, outcomes, dead letters and the change feed's outbox
 * together), then written to Redis in one pipelined round and announced. The transport
 * commits the offsets only after the handler settled; an error thrown here reaches it
 * unchanged, to be retried in place (a server away) or set aside (`Poison`).
 */
@Controller()
@UseFilters(PassErrorsToTransport)
export class EventRunsHandler {
  constructor(
    private readonly projection: ProjectionRepository,
    private readonly relay: OutboxRelay,
    private readonly refresher: CacheRefresher,
    private readonly announcer: OutcomeAnnouncer,
    private readonly outgoing: OutboxMessages,
    @Inject(WORKER_METRICS) private readonly metrics: WorkerMetrics,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
  ) {}

  @EventPattern(EventLogPatterns.Run)
  async apply(@Payload() messages: IncomingMessage[]): Promise<void> {
    const started = process.hrtime.bigint();
    const stages = this.metrics.writeStages;
    const fetchedAt = Date.now();
    for (const message of messages) {
      if (message.timestamp) stages.observe('fetched', Number(message.timestamp), fetchedAt);
    }
    const { events, unreadable } = readEnvelopes(messages, this.config);
    const deadLetters = unreadable.map((letter) => this.outgoing.deadLetter(letter));
    const requestIds = new Map(events.map((e) => [e.event.id, e.requestId]));
    const result = await this.projection.applyBatch({
      events: events.map((e) => e.event),
      deadLetters,
      feed: (event, change) => this.outgoing.changeFeed(event, change, requestIds.get(event.id)),
      limits: this.config.limits,
    });
    const committedAt = Date.now();
    stages.observe('committed', fetchedAt, committedAt, messages.length);
    this.metrics.events.inc({ outcome: 'consumed' }, messages.length);
    this.metrics.runEvents.observe(messages.length);
    // The change feed's relay goes after the announcement: its round trips would otherwise
    // interleave with the Redis write and the announcement that readers are waiting for.
    try {
      let cachedAt = committedAt;
      const written = this.refresher
        .writeDocuments(result.documents)
        .then(() => (cachedAt = Date.now()));
      // On one Redis the announcement goes out behind the writes on the same connection:
      // one round trip for both. (Only a script cache flushed under an open connection
      // reorders them: ioredis then sends the write again after its NOSCRIPT answer. An
      // instance that reads Redis older than an announced revision for a watched view
      // goes on to PostgreSQL.) A cluster waits for the writes first.
      if (!this.refresher.announcesInOrder) await written;
      await Promise.all([written, this.announcer.settle(events, result, deadLetters)]);
      stages.observe('cached', committedAt, cachedAt, messages.length);
      stages.observe('announced', cachedAt, Date.now(), messages.length);
    } finally {
      this.relay.soon();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (let i = 0; i < messages.length; i++) this.metrics.applyLatency.observe(seconds);
  }

  /** A message that failed too often on its own. */
  @EventPattern(EventLogPatterns.Poison)
  async setAside(@Payload() { message, reason }: PoisonMessage): Promise<void> {
    const letter = this.outgoing.deadLetter(unreadableMessage(message, reason));
    await this.projection.recordDeadLetter(letter);
    this.relay.soon();
    await this.announcer.settleDeadLetter(letter);
  }
}
