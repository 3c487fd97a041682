import type { Selectable } from 'kysely';
import type { Database } from './database.js';
import type { DeadLettersTable } from './database.types.js';

export interface DeadLetterRecord {
  id: number;
  eventId?: string;
  reason: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  /** The original message's headers (its request id among them). */
  headers: Record<string, string>;
  payload: Buffer | null;
  createdAt: string;
  redrivenAt?: string;
  redriveCount: number;
}

function toRecord(row: Selectable<DeadLettersTable>): DeadLetterRecord {
  return {
    id: Number(row.id),
    ...(row.event_id ? { eventId: row.event_id } : {}),
    reason: row.reason,
    originalPartition: row.original_partition,
    originalOffset: row.original_offset,
    key: row.key,
    headers: row.headers ?? {},
    payload: row.payload,
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.redriven_at ? { redrivenAt: new Date(row.redriven_at).toISOString() } : {}),
    redriveCount: row.redrive_count,
  };
}

/** The dead letters the worker recorded, for the admin to read, send back or drop. */
export class DeadLetterRepository {
  constructor(private readonly db: Database) {}

  /** Newest first; `before` is the last id of the previous page. */
  async list(page: { limit: number; before?: number }): Promise<DeadLetterRecord[]> {
    let query = this.db
      .selectFrom('dead_letters')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(page.limit);
    if (page.before !== undefined) query = query.where('id', '<', String(page.before));
    return (await query.execute()).map(toRecord);
  }

  /**
   * Hands the letter to `publish` and marks it redriven, in one transaction: if
   * publishing fails nothing is marked. The event id's dead-lettered outcome is forgotten
   * so that the message sent back is applied instead of being taken for a duplicate.
   */
  async redrive(
    id: number,
    publish: (letter: DeadLetterRecord) => Promise<void>,
  ): Promise<DeadLetterRecord | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('dead_letters')
        .selectAll()
        .where('id', '=', String(id))
        .forUpdate()
        .executeTakeFirst();
      if (!row) return undefined;
      if (row.event_id) {
        await trx
          .deleteFrom('processed_events')
          .where('id', '=', row.event_id)
          .where('status', '=', 'dead-lettered')
          .execute();
      }
      await publish(toRecord(row));
      const updated = await trx
        .updateTable('dead_letters')
        .set((eb) => ({ redriven_at: new Date(), redrive_count: eb('redrive_count', '+', 1) }))
        .where('id', '=', String(id))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(updated);
    });
  }

  /** Answers the letter dropped, or undefined when there was none. */
  async delete(id: number): Promise<DeadLetterRecord | undefined> {
    const row = await this.db
      .deleteFrom('dead_letters')
      .where('id', '=', String(id))
      .returningAll()
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }
}
