import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { KAFKA, KAFKA_ADMIN, TOPICS } from '#messaging/messaging.constants';
import type { TopicNames } from '#messaging/topics';
import type { KafkaAdminClient } from '#messaging/kafka-admin';
import { EventConsumer, type IncomingMessage } from '#messaging/event-consumer';
import { readEnvelopes } from '#messaging/envelope-reader';
import type { RebuildSession } from '#persistence/projection-rebuild';
import { ProblemException } from '../http/problem.js';

/** Messages applied per statement round of the rebuild's transaction. */
const REPLAY_BATCH = 1000;

export interface PartitionStart {
  partition: number;
  offset: string;
}

export class ReplayInterrupted extends Error {}

/**
 * The Kafka side of a replay: where the log starts and ends, and reading it into a
 * rebuild session with the messaging consumer loop under a group of its own.
 */
@Injectable()
export class LogReplayer {
  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(KAFKA_ADMIN) private readonly admin: KafkaAdminClient,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
  ) {}

  /** The offsets of `from` in every partition; refuses when events before it would be lost. */
  async startOffsets(from: Date): Promise<PartitionStart[]> {
    let starts: PartitionStart[];
    let ranges: { partition: number; low: string; high: string }[];
    try {
      [starts, ranges] = await this.admin.use((admin) =>
        Promise.all([
          admin.fetchTopicOffsetsByTimestamp(this.topics.Events, from.getTime()),
          admin.fetchTopicOffsets(this.topics.Events),
        ]),
      );
    } catch (error) {
      throw new ProblemException(503, `Kafka did not answer: ${(error as Error).message}`, {
        headers: { 'retry-after': '5' },
      });
    }
    // The projections are rebuilt from nothing, so events before `from` would be lost
    // from them: refuse rather than silently drop state.
    const skipped = starts.reduce((sum, start) => {
      const low = ranges.find((r) => r.partition === start.partition)?.low ?? '0';
      return sum + Math.max(0, Number(BigInt(start.offset) - BigInt(low)));
    }, 0);
    if (skipped > 0) {
      throw new ProblemException(
        422,
        `The log holds ${skipped} events older than ${from.toISOString()}; a replay rebuilds the projections ` +
          'from nothing and would lose them. Replay from a time at or before the first event.',
      );
    }
    return starts;
  }

  async endOffsets(): Promise<Map<number, bigint>> {
    const ranges = await this.admin.use((admin) => admin.fetchTopicOffsets(this.topics.Events));
    return new Map(ranges.map((r) => [r.partition, BigInt(r.high)]));
  }

  /**
   * Reads every partition from its start to its end with a fresh group and applies the
   * events to `session`; answers the messages read. The first failure ends the replay
   * (its transaction rolls back), so nothing is retried or set aside here.
   */
  async reapply(
    session: RebuildSession,
    groupId: string,
    starts: PartitionStart[],
    ends: Map<number, bigint>,
    running: { interrupted: boolean },
  ): Promise<number> {
    const remaining = new Map(
      starts
        .filter((s) => BigInt(s.offset) < (ends.get(s.partition) ?? 0n))
        .map((s) => [s.partition, ends.get(s.partition)!]),
    );
    if (remaining.size === 0) return 0;
    let read = 0;
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Awaited below once the consumer runs; a failure while it starts must not go unheard.
    done.catch(() => undefined);
    let failed = false;
    const fail = (error: unknown) => {
      failed = true;
      settle.reject(error);
    };
    const apply = async (run: IncomingMessage[]) => {
      if (failed) return;
      if (running.interrupted) return fail(new ReplayInterrupted('the API is shutting down'));
      const partition = run[0].partition;
      const end = remaining.get(partition);
      if (end === undefined) return;
      const messages = run.filter((m) => BigInt(m.offset) < end);
      try {
        const { events, unreadable } = readEnvelopes(messages, this.config);
        await session.apply({
          events: events.map((e) => e.event),
          deadLetters: unreadable,
          limits: this.config.limits,
        });
      } catch (error) {
        return fail(error);
      }
      read += messages.length;
      if (BigInt(run[run.length - 1].offset) + 1n >= end) {
        remaining.delete(partition);
        if (remaining.size === 0) settle.resolve();
      }
    };
    const consumer = new EventConsumer(
      this.kafka,
      {
        groupId,
        topic: this.topics.Events,
        // One partition at a time: every run writes through the one transaction.
        concurrency: 1,
        maxBatchSize: REPLAY_BATCH,
        startAt: starts,
      },
      {
        handle: (message) => apply([message]),
        handleBatch: (run) => apply(run),
        isTransient: () => false,
        onPoison: async (_message, reason) => fail(new Error(reason)),
        onCrash: (error) => fail(error),
      },
    );
    try {
      await consumer.start();
      await done;
      return read;
    } finally {
      await consumer.stop().catch(() => undefined);
    }
  }

  async deleteGroup(groupId: string): Promise<void> {
    // A group left behind is empty and expires with the broker's offsets retention.
    await this.admin.use((admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
}
