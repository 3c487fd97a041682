/**
 * Idempotent preparation, run by `npm run infra:up`: creates the database if missing,
 * migrates it, creates the topics. Configured by the same environment as the apps.
 */
import pg from 'pg';
import { loadConfig } from '#config/warden-config';
import { createDatabase } from '#persistence/database';
import { migrateToLatest } from '#persistence/migrator';
import { createKafka } from '#messaging/kafka-client';
import { ensureTopics } from '#messaging/topic-admin';
import { topicNames } from '#messaging/topics';

export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } catch (error) {
    // Another process created it at the same moment.
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, { app: 'tool' });
  const created = await ensureDatabase(config.databaseUrl);
  const db = createDatabase({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    poolSize: 2,
  });
  try {
    const applied = await migrateToLatest(db, config.databaseSchema);
    console.log(
      `[prepare] database ${created ? 'created' : 'present'}; migrations applied: ${applied.length ? applied.join(', ') : 'none (up to date)'}`,
    );
  } finally {
    await db.destroy();
  }
  const kafka = createKafka({
    clientId: 'warden-prepare',
    brokers: config.kafkaBrokers,
    security: config.kafkaSecurity,
  });
  const createdTopics = await ensureTopics(kafka, topicNames(config.namespace));
  console.log(
    `[prepare] topics created: ${createdTopics.length ? createdTopics.join(', ') : 'none (present)'}`,
  );
}

main().catch((error: unknown) => {
  console.error(`[prepare] failed: ${String((error as Error)?.stack ?? error)}`);
  process.exit(1);
});
