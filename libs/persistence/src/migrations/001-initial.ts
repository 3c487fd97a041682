import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE aggregates (
      aggregate text PRIMARY KEY,
      revision bigint NOT NULL
    );

    CREATE TABLE services (
      slug text PRIMARY KEY,
      name text NOT NULL,
      owner text NOT NULL,
      tier smallint NOT NULL CHECK (tier BETWEEN 0 AND 3),
      lifecycle text NOT NULL,
      tags text[] NOT NULL DEFAULT '{}',
      links jsonb NOT NULL DEFAULT '[]',
      description text,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX services_owner_idx ON services (owner, slug);
    CREATE INDEX services_tags_idx ON services USING gin (tags);

    CREATE TABLE policies (
      slug text NOT NULL REFERENCES services (slug) ON DELETE CASCADE,
      type text NOT NULL,
      env text NOT NULL,
      enabled boolean NOT NULL,
      spec jsonb NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (slug, type, env)
    );

    CREATE TABLE default_policies (
      type text PRIMARY KEY,
      enabled boolean NOT NULL,
      spec jsonb NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );

    CREATE TABLE config_entries (
      slug text NOT NULL REFERENCES services (slug) ON DELETE CASCADE,
      env text NOT NULL,
      key text NOT NULL,
      value jsonb NOT NULL,
      description text,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (slug, env, key)
    );

    CREATE TABLE config_history (
      slug text NOT NULL,
      env text NOT NULL,
      key text NOT NULL,
      version integer NOT NULL,
      value jsonb NOT NULL,
      description text,
      event_id uuid NOT NULL,
      change text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (slug, env, key, version)
    );

    CREATE TABLE processed_events (
      id uuid PRIMARY KEY,
      aggregate text NOT NULL,
      type text NOT NULL,
      status text NOT NULL,
      code text,
      reason text,
      version integer,
      processed_at timestamptz NOT NULL
    );

    CREATE TABLE audit_log (
      seq bigserial PRIMARY KEY,
      event_id uuid NOT NULL,
      type text NOT NULL,
      aggregate text NOT NULL,
      actor text NOT NULL,
      reason text,
      version integer,
      before jsonb,
      after jsonb,
      occurred_at timestamptz NOT NULL,
      applied_at timestamptz NOT NULL
    );
    CREATE INDEX audit_log_aggregate_idx ON audit_log (aggregate, seq DESC);
    CREATE INDEX audit_log_actor_idx ON audit_log (actor, seq DESC);
    CREATE INDEX audit_log_applied_idx ON audit_log (applied_at);

    CREATE TABLE dead_letters (
      id bigserial PRIMARY KEY,
      event_id uuid,
      reason text NOT NULL,
      original_partition integer NOT NULL,
      original_offset text NOT NULL,
      key text,
      payload bytea,
      created_at timestamptz NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE dead_letters, audit_log, processed_events, config_history, config_entries,
      default_policies, policies, services, aggregates;
  `.execute(db);
}
