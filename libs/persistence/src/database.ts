import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { WardenDatabase } from './database.types.js';
import { PreparingClient } from './prepared-statements.js';

export type Database = Kysely<WardenDatabase>;

export interface DatabaseOptions {
  url: string;
  schema: string;
  poolSize?: number;
  /** Called with each new connection, after Warden's own set-up (tests observe the wire). */
  onConnection?: (client: pg.PoolClient) => void;
}

// bigint columns (revisions, audit sequence) fit comfortably in a double for this domain.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/** A Kysely handle whose connections see `schema` first, so suites can share one server. */
export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    Client: PreparingClient as unknown as pg.PoolConfig['Client'],
    connectionString: options.url,
    max: options.poolSize ?? 10,
    options: `-c search_path=${options.schema},public`,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
  });
  // A lost connection must not crash the process: the next query reports the failure.
  pool.on('error', () => undefined);
  // The same for a connection lost while checked out between two queries (a transaction
  // waiting on Kafka or Redis): node-postgres emits it on the client, which would
  // otherwise be an unhandled 'error' event that ends the process.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    options.onConnection?.(client);
  });
  return new Kysely<WardenDatabase>({ dialect: new PostgresDialect({ pool }) });
}
