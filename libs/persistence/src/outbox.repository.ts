import type { Database } from './database.js';
import { prepared } from './prepared-statements.js';
import { stmt } from './statement.js';

export interface PendingOutboxMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** A row of the relay's statement: the lock's answer, and a message taken (or none). */
type TakenRow = PendingOutboxMessage & { seq: string };
type RelayedRow = { held: boolean; durability: string } & (TakenRow | { seq: null });

/**
 * The outbox's reading end. One relay at a time (a transaction-scoped advisory lock per
 * schema) takes the oldest messages, hands them to `publish` and commits their removal
 * when that resolved, so messages leave in the order their transactions wrote them and a
 * crash (or a failed publish, which rolls back) before the commit only publishes again.
 */
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  /**
   * Relays up to `limit` messages; answers how many, or null if another relay is busy.
   * Two round trips: one statement that takes the lock and removes the messages it
   * returns (its BEGIN goes with it, see `transaction-edges.ts`), and COMMIT once they are
   * published. On this kind of machine each round trip costs the worker and PostgreSQL a
   * wake-up each (docs/performance.md, "What a round trip costs").
   */
  async relay(
    limit: number,
    publish: (messages: PendingOutboxMessage[]) => Promise<void>,
  ): Promise<number | null> {
    return this.db.transaction().execute(async (trx) => {
      // Losing this transaction's commit in a database crash only publishes its messages
      // again, so it need not wait for the disk. The statement's snapshot predates the
      // lock: a message that the relay before this one removed is not removed (nor
      // returned) twice, since a DELETE skips rows that a committed transaction deleted.
      const { rows } = await stmt`
        ${prepared} WITH lock AS (
          SELECT pg_try_advisory_xact_lock(hashtextextended('warden.outbox:' || current_schema(), 0)) AS held,
                 set_config('synchronous_commit', 'off', true) AS durability
        ), taken AS (
          DELETE FROM outbox_messages
          WHERE seq IN (
            SELECT seq FROM outbox_messages WHERE (SELECT held FROM lock) ORDER BY seq LIMIT ${limit}
          )
          RETURNING seq, topic, key, value, headers
        )
        SELECT lock.held, lock.durability, taken.*
        FROM lock LEFT JOIN taken ON true
        ORDER BY taken.seq
      `.execute<RelayedRow>(trx);
      if (!rows[0]?.held) return null;
      const taken = rows.filter((row): row is RelayedRow & TakenRow => row.seq !== null);
      if (taken.length === 0) return 0;
      await publish(
        taken.map(({ topic, key, value, headers }) => ({ topic, key, value, headers })),
      );
      return taken.length;
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
