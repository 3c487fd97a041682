import { sql, type Kysely } from 'kysely';

/**
 * Protection rules (admin settings the API reads, not governance state the events
 * build) and, on each audited change, the rules an outside producer's event bypassed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE protection_rules (
      name text PRIMARY KEY,
      match jsonb NOT NULL,
      approvals integer NOT NULL CHECK (approvals > 0),
      updated_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- The names of the rules a change matched that came in without a change request.
    ALTER TABLE audit_log ADD COLUMN bypassed_rules jsonb;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_log DROP COLUMN bypassed_rules;
    DROP TABLE protection_rules;
  `.execute(db);
}
