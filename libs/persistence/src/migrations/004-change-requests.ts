import { sql, type Kysely } from 'kysely';

/**
 * Change requests: the API writes them and their reviews; the worker settles them
 * (applied or failed) in the transaction that applies their changes. Each audit entry
 * of an applied change names its request.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE change_requests (
      id uuid PRIMARY KEY,
      -- Pages the list newest first, as the audit's sequence does.
      seq bigserial UNIQUE,
      title text NOT NULL,
      reason text NOT NULL,
      status text NOT NULL,
      required_approvals integer NOT NULL,
      approvals jsonb NOT NULL DEFAULT '[]',
      -- The changes as sent (JSON text, not jsonb, which would reorder their members).
      changes text NOT NULL,
      services text[] NOT NULL,
      author text NOT NULL,
      closed_by jsonb,
      failure_reason text,
      apply_at timestamptz,
      -- Set when the scheduler queued the apply event, so it queues it once.
      apply_queued_at timestamptz,
      apply_event_id uuid,
      applied_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX change_requests_status_idx ON change_requests (status, seq DESC);
    CREATE INDEX change_requests_services_idx ON change_requests USING gin (services);
    CREATE INDEX change_requests_due_idx ON change_requests (apply_at)
      WHERE status = 'approved' AND apply_at IS NOT NULL AND apply_queued_at IS NULL;

    ALTER TABLE audit_log ADD COLUMN change_request_id uuid;
    CREATE INDEX audit_log_change_request_idx ON audit_log (change_request_id, seq DESC)
      WHERE change_request_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_log DROP COLUMN change_request_id;
    DROP TABLE change_requests;
  `.execute(db);
}
