import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './database.js';
import * as initial from './migrations/001-initial.js';
import * as reliableWritePath from './migrations/002-reliable-write-path.js';
import * as eventProvenance from './migrations/003-event-provenance.js';
import * as changeRequests from './migrations/004-change-requests.js';
import * as protectionRules from './migrations/005-protection-rules.js';
import * as secretValues from './migrations/006-secret-values.js';
import * as adminAudit from './migrations/007-admin-audit.js';
import * as aggregateIncarnations from './migrations/008-aggregate-incarnations.js';
import * as batchGuard from './migrations/009-batch-guard.js';

/** Migrations are listed in code so the compiled apps carry them; names fix their order. */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-reliable-write-path': reliableWritePath,
  '003-event-provenance': eventProvenance,
  '004-change-requests': changeRequests,
  '005-protection-rules': protectionRules,
  '006-secret-values': secretValues,
  '007-admin-audit': adminAudit,
  '008-aggregate-incarnations': aggregateIncarnations,
  '009-batch-guard': batchGuard,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Brings `schema` to the latest migration; safe to run from several processes at once. */
export async function migrateToLatest(db: Database, schema: string): Promise<string[]> {
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    migrationTableSchema: schema,
    // Numbers are handed out ahead of time, so a lower one may land after a higher one
    // has run on a database.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
