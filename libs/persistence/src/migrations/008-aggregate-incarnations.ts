import { sql, type Kysely } from 'kysely';

/**
 * Each row of `aggregates` takes a number no row had before: a rebuild deletes the rows
 * and counts revisions from 0 again, and a worker's cached state (see
 * AggregateStateCache) must not take a repeated revision for the state it knew.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE SEQUENCE aggregate_incarnations;
    ALTER TABLE aggregates ADD COLUMN incarnation bigint NOT NULL DEFAULT nextval('aggregate_incarnations');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE aggregates DROP COLUMN incarnation;
    DROP SEQUENCE aggregate_incarnations;
  `.execute(db);
}
