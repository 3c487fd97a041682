import type { Selectable } from 'kysely';
import type { Database } from './database.js';
import type { ReplaysTable } from './database.types.js';

export type ReplayStatus = 'running' | 'completed' | 'failed';

export interface ReplayRecord {
  id: string;
  from: string;
  consumerGroup: string;
  status: ReplayStatus;
  events: number;
  checksumBefore?: string;
  checksumAfter?: string;
  error?: string;
  startedAt: string;
  finishedAt?: string;
}

function toRecord(row: Selectable<ReplaysTable>): ReplayRecord {
  return {
    id: row.id,
    from: new Date(row.requested_from).toISOString(),
    consumerGroup: row.consumer_group,
    status: row.status as ReplayStatus,
    events: row.events,
    ...(row.checksum_before ? { checksumBefore: row.checksum_before } : {}),
    ...(row.checksum_after ? { checksumAfter: row.checksum_after } : {}),
    ...(row.error ? { error: row.error } : {}),
    startedAt: new Date(row.started_at).toISOString(),
    ...(row.finished_at ? { finishedAt: new Date(row.finished_at).toISOString() } : {}),
  };
}

/** The record of replays, kept outside the replay's transaction so it survives a failure. */
export class ReplayLogRepository {
  constructor(private readonly db: Database) {}

  async started(input: { id: string; from: Date; consumerGroup: string }): Promise<ReplayRecord> {
    const row = await this.db
      .insertInto('replays')
      .values({
        id: input.id,
        requested_from: input.from,
        consumer_group: input.consumerGroup,
        status: 'running',
        started_at: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async finished(
    id: string,
    result: {
      status: Exclude<ReplayStatus, 'running'>;
      events: number;
      checksumBefore?: string;
      checksumAfter?: string;
      error?: string;
    },
  ): Promise<void> {
    await this.db
      .updateTable('replays')
      .set({
        status: result.status,
        events: result.events,
        checksum_before: result.checksumBefore ?? null,
        checksum_after: result.checksumAfter ?? null,
        error: result.error ?? null,
        finished_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
  }

  async find(id: string): Promise<ReplayRecord | undefined> {
    const row = await this.db
      .selectFrom('replays')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  }
}
