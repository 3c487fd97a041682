import { sql, type Kysely } from 'kysely';

/**
 * A batch decided from a worker's cached states writes in one statement, with its claim
 * of the event ids and its check of the aggregates' revisions (see `optimistic-apply`).
 * A check that fails must abort the statement, and with it the transaction: this raises
 * the error the worker recognises (SQLSTATE WB001) and then applies the batch again,
 * reading what changed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION warden_batch_unchanged(unchanged boolean) RETURNS boolean
    LANGUAGE plpgsql AS $$
    BEGIN
      IF unchanged IS NOT TRUE THEN
        RAISE EXCEPTION 'the batch was decided on states that changed since'
          USING ERRCODE = 'WB001';
      END IF;
      RETURN true;
    END
    $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION warden_batch_unchanged(boolean)`.execute(db);
}
