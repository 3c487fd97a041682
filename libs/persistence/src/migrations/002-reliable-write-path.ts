import { sql, type Kysely } from 'kysely';

/**
 * The outbox that carries the change feed and the dead-letter topic out of the apply
 * transaction, what an admin needs to redrive a dead letter, and the record of replays.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Messages written in the same transaction as the state they describe; a relay
    -- publishes them to Kafka and deletes them, so a crash in between re-publishes
    -- (at least once) and never loses one.
    CREATE TABLE outbox_messages (
      seq bigserial PRIMARY KEY,
      topic text NOT NULL,
      key text,
      value bytea NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- A re-delivered message must not become a second dead letter.
    DELETE FROM dead_letters a USING dead_letters b
      WHERE a.id > b.id
        AND a.original_partition = b.original_partition
        AND a.original_offset = b.original_offset;
    CREATE UNIQUE INDEX dead_letters_origin_idx ON dead_letters (original_partition, original_offset);
    ALTER TABLE dead_letters
      ADD COLUMN headers jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN redriven_at timestamptz,
      ADD COLUMN redrive_count integer NOT NULL DEFAULT 0;

    CREATE TABLE replays (
      id uuid PRIMARY KEY,
      requested_from timestamptz NOT NULL,
      consumer_group text NOT NULL,
      status text NOT NULL,
      events integer NOT NULL DEFAULT 0,
      checksum_before text,
      checksum_after text,
      error text,
      started_at timestamptz NOT NULL,
      finished_at timestamptz
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE replays, outbox_messages;
    DROP INDEX dead_letters_origin_idx;
    ALTER TABLE dead_letters DROP COLUMN headers, DROP COLUMN redriven_at, DROP COLUMN redrive_count;
  `.execute(db);
}
