import { sql } from 'kysely';
import type { Database } from './database.js';

export interface PendingOutboxMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * The outbox's reading end. One relay at a time (a transaction-scoped advisory lock per
 * schema) takes the oldest messages, hands them to `publish` and deletes them when that
 * resolved, so messages leave in the order their transactions wrote them and a crash
 * between publishing and deleting only publishes again.
 */
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  /** Relays up to `limit` messages; answers how many, or null if another relay is busy. */
  async relay(
    limit: number,
    publish: (messages: PendingOutboxMessage[]) => Promise<void>,
  ): Promise<number | null> {
    return this.db.transaction().execute(async (trx) => {
      // Losing this transaction's commit in a database crash only publishes its messages
      // again, so it need not wait for the disk.
      const { rows } = await sql<{ held: boolean }>`
        SELECT pg_try_advisory_xact_lock(hashtextextended('warden.outbox:' || current_schema(), 0)) AS held,
               set_config('synchronous_commit', 'off', true) AS durability
      `.execute(trx);
      if (!rows[0]?.held) return null;
      const pending = await trx
        .selectFrom('outbox_messages')
        .select(['seq', 'topic', 'key', 'value', 'headers'])
        .orderBy('seq')
        .limit(limit)
        .execute();
      if (pending.length === 0) return 0;
      await publish(pending.map(({ seq: _seq, ...message }) => message));
      await trx
        .deleteFrom('outbox_messages')
        .where(
          'seq',
          'in',
          pending.map((m) => m.seq),
        )
        .execute();
      return pending.length;
    });
  }

  async pending(): Promise<number> {
    const row = await this.db
      .selectFrom('outbox_messages')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
