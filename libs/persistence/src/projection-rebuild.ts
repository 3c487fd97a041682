import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';
import type { WardenDatabase } from './database.types.js';
import { applyBatchWithin } from './projection-batch.js';
import { projectionLockKey } from './projection-lock.js';
import type { BatchResult, ProjectionBatch } from './projection.types.js';

/**
 * What the events decide, table by table, in a stable order. Left out: when rows were
 * written (`applied_at`, `processed_at`) and the audit's sequence numbers, which a
 * rebuild cannot reproduce and which no resource shows as its state.
 */
const STATE: { table: string; query: string }[] = [
  {
    table: 'services',
    query: `SELECT slug, name, owner, tier, lifecycle, tags, links, description, version, created_at, updated_at
            FROM services ORDER BY slug`,
  },
  {
    table: 'policies',
    query: `SELECT slug, type, env, enabled, spec, version, created_at, updated_at
            FROM policies ORDER BY slug, type, env`,
  },
  {
    table: 'default_policies',
    query: `SELECT type, enabled, spec, version, created_at, updated_at FROM default_policies ORDER BY type`,
  },
  {
    table: 'config_entries',
    query: `SELECT slug, env, key, value, description, secret, version, created_at, updated_at
            FROM config_entries ORDER BY slug, env, key`,
  },
  {
    table: 'config_history',
    query: `SELECT slug, env, key, version, value, description, secret, event_id, change, created_at
            FROM config_history ORDER BY slug, env, key, version`,
  },
  {
    table: 'aggregates',
    query: `SELECT aggregate, revision FROM aggregates WHERE revision > 0 ORDER BY aggregate`,
  },
  {
    // Not rebuilt by a replay, but checksummed: a replay that changed it would show.
    table: 'audit_log',
    query: `SELECT event_id, type, aggregate, actor, reason, version, before, after, occurred_at
            FROM audit_log ORDER BY aggregate, seq`,
  },
  {
    table: 'processed_events',
    query: `SELECT id, aggregate, type, status, code, reason, version FROM processed_events ORDER BY id`,
  },
];

export interface StateChecksum {
  /** One digest of every table below. */
  digest: string;
  tables: Record<string, { rows: number; digest: string }>;
}

/** Checksums the projections as `executor` sees them (a transaction sees its own work). */
export async function checksumState(executor: Kysely<WardenDatabase>): Promise<StateChecksum> {
  const tables: StateChecksum['tables'] = {};
  for (const { table, query } of STATE) {
    const { rows } = await sql<{ rows: string; digest: string }>`
      SELECT count(*) AS rows, md5(coalesce(string_agg(r::text, E'\n'), '')) AS digest
      FROM (${sql.raw(query)}) AS r
    `.execute(executor);
    tables[table] = { rows: Number(rows[0].rows), digest: rows[0].digest };
  }
  const all = STATE.map(
    ({ table }) => `${table}:${tables[table].rows}:${tables[table].digest}`,
  ).join('\n');
  const { rows } = await sql<{ digest: string }>`SELECT md5(${all}) AS digest`.execute(executor);
  return { digest: rows[0].digest, tables };
}

/** The projections inside a rebuild's transaction. */
export interface RebuildSession {
  checksum(): Promise<StateChecksum>;
  /**
   * Empties every projection and the record of processed events, so all can apply
   * again. The audit stays: it records what happened and is not rebuilt.
   */
  reset(): Promise<void>;
  apply(batch: ProjectionBatch): Promise<BatchResult>;
}

export class ReplayInProgress extends Error {
  constructor() {
    super('a replay is already rebuilding the projections');
    this.name = 'ReplayInProgress';
  }
}

/**
 * Rebuilds the projections in one transaction: readers keep seeing the old state until
 * it commits and then see the new one at once, and a rebuild that fails leaves nothing
 * behind. It holds the projection lock exclusively, so workers pause (they retry) for
 * its duration instead of writing into a half-built state.
 */
export class ProjectionRebuild {
  constructor(private readonly db: Database) {}

  async checksum(): Promise<StateChecksum> {
    return checksumState(this.db);
  }

  async run<T>(work: (session: RebuildSession) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ held: boolean }>`
        SELECT pg_try_advisory_xact_lock(hashtextextended('warden.replay:' || current_schema(), 0)) AS held
      `.execute(trx);
      if (!rows[0]?.held) throw new ReplayInProgress();
      // Waits for the batches in flight; new ones see the lock taken and back off.
      await sql`SET LOCAL lock_timeout = '60s'`.execute(trx);
      await sql`SELECT pg_advisory_xact_lock(${projectionLockKey})`.execute(trx);
      await sql`SET LOCAL lock_timeout = 0`.execute(trx);
      return work(sessionOf(trx));
    });
  }
}

function sessionOf(trx: Transaction<WardenDatabase>): RebuildSession {
  return {
    checksum: () => checksumState(trx),
    reset: async () => {
      // Children before parents; DELETE rather than TRUNCATE keeps readers unblocked.
      for (const table of [
        'config_history',
        'config_entries',
        'policies',
        'services',
        'default_policies',
        'aggregates',
        'processed_events',
      ] as const) {
        await trx.deleteFrom(table).execute();
      }
    },
    apply: (batch) => applyBatchWithin(trx, { ...batch, replay: true }),
  };
}
