import { sql, type Kysely } from 'kysely';

/**
 * Secret configuration values: the flag on entries and on each version of the history.
 * A secret's `value` holds its encryption (AES-256-GCM, see libs/domain/src/secret-value.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE config_entries ADD COLUMN secret boolean NOT NULL DEFAULT false;
    ALTER TABLE config_history ADD COLUMN secret boolean NOT NULL DEFAULT false;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE config_entries DROP COLUMN secret;
    ALTER TABLE config_history DROP COLUMN secret;
  `.execute(db);
}
