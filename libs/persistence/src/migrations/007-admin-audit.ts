import { sql, type Kysely } from 'kysely';

/**
 * The audit also keeps admin actions (types `admin.*`) and a replay no longer rebuilds
 * it: it looks entries up by event id, and readers filter by type.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX audit_log_event_idx ON audit_log (event_id);
    CREATE INDEX audit_log_type_idx ON audit_log (type, seq DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX audit_log_event_idx, audit_log_type_idx`.execute(db);
}
