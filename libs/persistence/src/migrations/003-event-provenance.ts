import { sql, type Kysely } from 'kysely';

/** Who published each audited change: the API (signed, the token's name) or an outside producer. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_log
      ADD COLUMN source text NOT NULL DEFAULT 'kafka',
      ADD COLUMN actor_verified boolean NOT NULL DEFAULT false;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_log DROP COLUMN source, DROP COLUMN actor_verified`.execute(db);
}
