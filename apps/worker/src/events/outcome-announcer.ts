import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { OUTCOME_BUS } from '#caching/caching.constants';
import type { OutcomeBus, EventOutcomeMessage } from '#caching/outcome-bus';
import type { ReadEvent } from '#messaging/envelope-reader';
import { DeadLetterHeaders } from '#messaging/topics';
import type { AppliedChange, BatchResult, DeadLetter } from '#persistence/projection.repository';
import { aggregateOfData, type LoggedEvent } from '#domain/event-validation';
import { AcceptedEventsStore } from '#caching/accepted-events.store';
import { CacheRefresher } from './cache-refresher.js';
import { LOGGER, WORKER_METRICS, type WorkerMetrics } from '../worker.constants.js';

/**
 * Tells the API instances what became of each event once its batch is committed and
 * cached: it logs, counts and announces every outcome on the Redis channel. The outcomes
 * are already in PostgreSQL; a lost announcement only delays caches by a TTL and makes a
 * waiting writer fall back to polling.
 */
@Injectable()
export class OutcomeAnnouncer {
  constructor(
    @Inject(OUTCOME_BUS) private readonly outcomes: OutcomeBus,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(WORKER_METRICS) private readonly metrics: WorkerMetrics,
    private readonly refresher: CacheRefresher,
    private readonly accepted: AcceptedEventsStore,
  ) {}

  async settle(events: ReadEvent[], result: BatchResult, deadLetters: DeadLetter[]): Promise<void> {
    const at = Date.now();
    const announcements: EventOutcomeMessage[] = [];
    const redelivered = new Set<string>();
    // Counted per run, not per event: a labelled counter hashes its labels on every `inc`.
    const tally = new Map<string, number>();
    const logged = this.log.isLevelEnabled('info');
    events.forEach((read, index) => {
      const outcome = result.outcomes[index];
      const counted = outcome.status === 'applied-all' ? 'applied' : outcome.status;
      tally.set(counted, (tally.get(counted) ?? 0) + 1);
      const announcement = this.outcomeOf(read, result, index, at, logged);
      if (!announcement) return;
      announcements.push(announcement);
      // Each change of a change request is announced as its own event: the caches of
      // every aggregate it changed drop their copies.
      if (outcome.status === 'applied-all') {
        for (const change of outcome.changes) announcements.push(this.changeApplied(change, at));
      }
      if (outcome.status === 'duplicate' && announcement.status === 'applied') {
        for (const aggregate of aggregatesOf(read.event)) redelivered.add(aggregate);
      }
    });
    for (const letter of deadLetters) {
      const announcement = this.deadLettered(letter, at);
      if (announcement) announcements.push(announcement);
    }
    for (const [outcome, count] of tally) this.metrics.events.inc({ outcome }, count);
    await Promise.all([...redelivered].map((aggregate) => this.refresher.refresh(aggregate)));
    await this.announce(announcements);
    // The API noted each event it appended as accepted; the outcome answers now.
    this.accepted.forget(
      events.filter((read) => read.event.source === 'api').map((read) => read.event.id),
    );
  }

  /** The poison path: one message set aside on its own. */
  async settleDeadLetter(letter: DeadLetter): Promise<void> {
    const announcement = this.deadLettered(letter, Date.now());
    if (announcement) await this.announce([announcement]);
  }

  private outcomeOf(
    { event, requestId }: ReadEvent,
    result: BatchResult,
    index: number,
    at: number,
    logged: boolean,
  ): EventOutcomeMessage | undefined {
    const outcome = result.outcomes[index];
    // Built only when info lines are written: at thousands of events a second the
    // objects alone are a share of the worker's garbage.
    const context = logged
      ? { eventId: event.id, type: event.type, aggregate: event.aggregate, requestId }
      : undefined;
    const base = { eventId: event.id, aggregate: event.aggregate, at };
    switch (outcome.status) {
      case 'duplicate': {
        if (context) this.log.info(context, 'event already processed; no second effect');
        // A re-delivery means a worker may have died between the commit and the cache
        // write or the announcement: write the record's state again and announce what
        // the first delivery decided (a waiting writer gets that).
        const earlier = result.earlier.get(event.id);
        return earlier && { ...base, ...earlier };
      }
      case 'rejected':
        if (context) this.log.info({ ...context, reason: outcome.reason }, 'event rejected');
        return { ...base, status: 'rejected', code: outcome.code, reason: outcome.reason };
      case 'applied': {
        const { version, revision } = outcome.change;
        if (context) this.log.info({ ...context, version, revision }, 'event applied');
        return { ...base, status: 'applied', revision, version };
      }
      case 'applied-all':
        if (context) {
          this.log.info({ ...context, changes: outcome.changes.length }, 'change request applied');
        }
        return { ...base, status: 'applied' };
    }
  }

  private changeApplied(change: AppliedChange, at: number): EventOutcomeMessage {
    const { eventId, aggregate, revision, version } = change;
    return { eventId, aggregate, status: 'applied', revision, version, at };
  }

  private deadLettered(letter: DeadLetter, at: number): EventOutcomeMessage | undefined {
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
    if (!letter.eventId) return undefined;
    return {
      eventId: letter.eventId,
      status: 'dead-lettered',
      aggregate: letter.key ?? '',
      reason: letter.reason,
      at,
    };
  }

  private async announce(announcements: EventOutcomeMessage[]): Promise<void> {
    if (announcements.length === 0) return;
    await this.outcomes.publishAll(announcements).catch(() => undefined);
  }
}

/** The aggregates whose state an event changes: its own, or those of a change request's changes. */
function aggregatesOf(event: LoggedEvent): string[] {
  if (event.type !== 'change-request.applied') return [event.aggregate];
  return [...new Set(event.data.changes.map((c) => aggregateOfData(c.type, c.data)))];
}
