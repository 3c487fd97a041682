import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { consumerGroup } from '#messaging/topics';
import type { ProjectionRebuild, StateChecksum } from '#persistence/projection-rebuild';
import type { ReplayLogRepository, ReplayRecord } from '#persistence/replay-log.repository';
import { ProblemException } from '../http/problem.js';
import { LOGGER } from '../api.constants.js';
import { PROJECTION_REBUILD, REPLAY_LOG } from './admin-ops.constants.js';
import { CachedDocuments } from './cached-documents.js';
import { LogReplayer, type PartitionStart } from './log-replayer.js';
import { AdminTargets } from '#domain/admin-action.model';
import { AdminAuditService, type AdminRequest } from '../admin-audit/admin-audit.service.js';

/**
 * Rebuilds the projections from `governance.events`. The rebuild runs in one
 * PostgreSQL transaction that holds the projections exclusively (workers pause and
 * retry meanwhile): it checksums the state, empties the projections and the record of
 * processed events, re-applies the log from the offsets of `from` up to the end it
 * found when it took the lock, reading with a fresh consumer group, checksums again
 * and commits. Readers see the old state until the commit and the new one after it; a
 * replay that fails changes nothing. Events appended meanwhile are the workers' to
 * apply once the lock is gone; those the replay already applied are then duplicates.
 * The audit is not a projection: it is kept as it is, and the replay only adds the
 * entries of events it applied that the audit did not have yet (see applyBatchWithin).
 */
@Injectable()
export class ReplayService implements BeforeApplicationShutdown {
  private running?: { id: string; interrupted: boolean };

  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(REPLAY_LOG) private readonly replayLog: ReplayLogRepository,
    @Inject(PROJECTION_REBUILD) private readonly rebuild: ProjectionRebuild,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly replayer: LogReplayer,
    private readonly cachedDocuments: CachedDocuments,
    private readonly audit: AdminAuditService,
  ) {}

  find(id: string): Promise<ReplayRecord | undefined> {
    return this.replayLog.find(id);
  }

  /**
   * Checks that the log can rebuild everything from `from`, records the replay and
   * starts it; `finished` settles with the record when it ends either way.
   */
  async start(
    from: Date,
    by: AdminRequest,
  ): Promise<{ record: ReplayRecord; finished: Promise<ReplayRecord> }> {
    if (this.running) {
      throw new ProblemException(
        409,
        `Replay ${this.running.id} is still running; wait for it to finish`,
      );
    }
    const starts = await this.replayer.startOffsets(from);
    const id = randomUUID();
    const group = `${consumerGroup(this.config.namespace)}.replay-${id.slice(0, 8)}`;
    // Audited first: a replay record that exists is one whose start is in the audit.
    await this.audit.record({
      type: 'admin.replay',
      target: AdminTargets.replay(id),
      ...by,
      after: { from: from.toISOString(), consumerGroup: group },
    });
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
        const ends = await this.replayer.endOffsets();
        await session.reset();
        events = await this.replayer.reapply(session, record.consumerGroup, starts, ends, running);
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
        await this.cachedDocuments
          .dropAll()
          .catch((error: unknown) =>
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
      await this.replayer.deleteGroup(record.consumerGroup);
    }
    return (await this.replayLog.find(record.id)) ?? record;
  }
}
