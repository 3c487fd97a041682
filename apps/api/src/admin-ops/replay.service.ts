import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { KAFKA, TOPICS } from '#messaging/messaging.constants';
import { consumerGroup, type TopicNames } from '#messaging/topics';
import { CACHE_CONTROL_BUS, CACHE_KEYS } from '#caching/caching.constants';
import { VersionedRedisStore } from '#caching/versioned-redis.store';
import type { CacheKeys } from '#caching/cache-keys';
import type { CacheControlBus } from '#caching/cache-control.bus';
import { readLog } from '#persistence/projection.repository';
import type {
  ProjectionRebuild,
  RebuildSession,
  StateChecksum,
} from '#persistence/projection-rebuild';
import type { ReplayLogRepository, ReplayRecord } from '#persistence/replay-log.repository';
import { ProblemException } from '../http/problem.js';
import { LOGGER } from '../api.constants.js';
import { PROJECTION_REBUILD, REPLAY_LOG } from './admin-ops.constants.js';

/** Messages applied per statement round of the rebuild's transaction. */
const REPLAY_BATCH = 1000;

interface PartitionStart {
  partition: number;
  offset: string;
}

class ReplayInterrupted extends Error {}

/**
 * Rebuilds the projections from `governance.events`. The rebuild runs in one
 * PostgreSQL transaction that holds the projections exclusively (workers pause and
 * retry meanwhile): it checksums the state, empties the projections and the record of
 * processed events, re-applies the log from the offsets of `from` up to the end it
 * found when it took the lock, reading with a fresh consumer group, checksums again
 * and commits. Readers see the old state until the commit and the new one after it; a
 * replay that fails changes nothing. Events appended meanwhile are the workers' to
 * apply once the lock is gone; those the replay already applied are then duplicates.
 */
@Injectable()
export class ReplayService implements BeforeApplicationShutdown {
  private running?: { id: string; interrupted: boolean };

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(REPLAY_LOG) private readonly replayLog: ReplayLogRepository,
    @Inject(PROJECTION_REBUILD) private readonly rebuild: ProjectionRebuild,
    private readonly store: VersionedRedisStore,
    @Inject(CACHE_KEYS) private readonly keys: CacheKeys,
    @Inject(CACHE_CONTROL_BUS) private readonly cacheControl: CacheControlBus,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  find(id: string): Promise<ReplayRecord | undefined> {
    return this.replayLog.find(id);
  }

  /**
   * Checks that the log can rebuild everything from `from`, records the replay and
   * starts it; `finished` settles with the record when it ends either way.
   */
  async start(from: Date): Promise<{ record: ReplayRecord; finished: Promise<ReplayRecord> }> {
    if (this.running) {
      throw new ProblemException(
        409,
        `Replay ${this.running.id} is still running; wait for it to finish`,
      );
    }
    const starts = await this.startOffsets(from);
    const id = randomUUID();
    const group = `${consumerGroup(this.config.namespace)}.replay-${id.slice(0, 8)}`;
    const record = await this.replayLog.started({ id, from, consumerGroup: group });
    const running = { id, interrupted: false };
    this.running = running;
    this.log.info(
      { replayId: id, from: from.toISOString(), consumerGroup: group },
      'replay started',
    );
    const finished = this.run(record, starts, running).finally(() => {
      if (this.running === running) this.running = undefined;
    });
    return { record, finished };
  }

  /** A stopping API abandons its replay: the transaction rolls back and nothing changes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.running) this.running.interrupted = true;
  }

  private async startOffsets(from: Date): Promise<PartitionStart[]> {
    const admin = this.kafka.admin();
    let starts: PartitionStart[];
    let ranges: { partition: number; low: string; high: string }[];
    try {
      await admin.connect();
      [starts, ranges] = await Promise.all([
        admin.fetchTopicOffsetsByTimestamp(this.topics.Events, from.getTime()),
        admin.fetchTopicOffsets(this.topics.Events),
      ]);
    } catch (error) {
      throw new ProblemException(503, `Kafka did not answer: ${(error as Error).message}`, {
        headers: { 'retry-after': '5' },
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
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

  private async run(
    record: ReplayRecord,
    starts: PartitionStart[],
    running: { interrupted: boolean },
  ): Promise<ReplayRecord> {
    let events = 0;
    let checksums: { before: StateChecksum; after: StateChecksum } | undefined;
    try {
      checksums = await this.rebuild.run(async (session) => {
        const before = await session.checksum();
        const ends = await this.endOffsets();
        await session.reset();
        events = await this.reapply(session, record.consumerGroup, starts, ends, running);
        return { before, after: await session.checksum() };
      });
      await this.replayLog.finished(record.id, {
        status: 'completed',
        events,
        checksumBefore: checksums.before.digest,
        checksumAfter: checksums.after.digest,
      });
      const same = checksums.before.digest === checksums.after.digest;
      // Equal checksums: every cached copy is still right. Otherwise (a fix in how events
      // apply) the copies go and are filled again from the rebuilt record.
      if (!same) {
        await this.dropCachedDocuments().catch((error: unknown) =>
          this.log.warn(
            { replayId: record.id, err: String(error) },
            'cached copies not dropped; they expire by TTL',
          ),
        );
      }
      this.log.info(
        {
          replayId: record.id,
          events,
          checksumBefore: checksums.before.digest,
          checksumAfter: checksums.after.digest,
          same,
        },
        'replay completed',
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(
        { replayId: record.id, events, err: message },
        'replay failed; the projections are unchanged',
      );
      await this.replayLog
        .finished(record.id, { status: 'failed', events: 0, error: message })
        .catch(() => undefined);
    } finally {
      await this.deleteGroup(record.consumerGroup);
    }
    return (await this.replayLog.find(record.id)) ?? record;
  }

  private async endOffsets(): Promise<Map<number, bigint>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ranges = await admin.fetchTopicOffsets(this.topics.Events);
      return new Map(ranges.map((r) => [r.partition, BigInt(r.high)]));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Reads every partition from its start to its end with a fresh group; answers the messages read. */
  private async reapply(
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
    const consumer: Consumer = this.kafka.consumer({
      groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
    });
    const done = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      void consumer
        .connect()
        .then(() => consumer.subscribe({ topic: this.topics.Events, fromBeginning: true }))
        .then(() =>
          consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            // One partition at a time: every batch writes through the one transaction.
            partitionsConsumedConcurrently: 1,
            eachBatch: async ({ batch, heartbeat }) => {
              if (running.interrupted) {
                reject(new ReplayInterrupted('the API is shutting down'));
                return;
              }
              const end = remaining.get(batch.partition);
              if (end === undefined) return;
              const messages = batch.messages.filter((m) => BigInt(m.offset) < end);
              for (let i = 0; i < messages.length; i += REPLAY_BATCH) {
                const { events, deadLetters } = readLog(
                  messages.slice(i, i + REPLAY_BATCH).map((m) => ({
                    partition: batch.partition,
                    offset: m.offset,
                    key: m.key ? m.key.toString('utf8') : null,
                    value: m.value,
                    headers: Object.fromEntries(
                      Object.entries(m.headers ?? {}).flatMap(([k, v]) =>
                        v === undefined ? [] : [[k, String(v)]],
                      ),
                    ),
                  })),
                  this.config,
                );
                await session.apply({ events: events.map((e) => e.event), deadLetters });
                read += Math.min(REPLAY_BATCH, messages.length - i);
                await heartbeat();
              }
              const last = batch.messages.at(-1);
              if (last && BigInt(last.offset) + 1n >= end) {
                remaining.delete(batch.partition);
                consumer.pause([{ topic: this.topics.Events, partitions: [batch.partition] }]);
                if (remaining.size === 0) resolve();
              }
            },
          }),
        )
        .then(() => {
          for (const start of starts) {
            consumer.seek({
              topic: this.topics.Events,
              partition: start.partition,
              offset: start.offset,
            });
          }
        })
        .catch(reject);
    });
    try {
      await done;
      return read;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  private async deleteGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]);
    } catch {
      // A group left behind is empty and expires with the broker's offsets retention.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async dropCachedDocuments(): Promise<void> {
    for (const pattern of [this.keys.pattern('svc'), this.keys.pattern('snap')]) {
      for await (const keys of this.store.scan(pattern)) await this.store.remove(keys);
    }
    await this.store.remove([this.keys.defaults()]);
    // Every API instance drops its in-process copies too.
    await this.cacheControl.publish({ kind: 'flush' });
  }
}
