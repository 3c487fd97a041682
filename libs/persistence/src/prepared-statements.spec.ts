import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { DATABASE_URL } from '../../../test/support/test-environment.js';
import { createDatabase, type Database } from './database.js';
import { prepared } from './prepared-statements.js';

describe('statements opened by `prepared`', () => {
  const schema = `t_prepared_${randomBytes(4).toString('hex')}`;
  let db: Database;

  beforeAll(async () => {
    db = createDatabase({ url: DATABASE_URL, schema, poolSize: 1 });
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`CREATE TABLE entries (key text PRIMARY KEY, value jsonb NOT NULL)`.execute(db);
  });

  afterAll(async () => {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
    await db?.destroy();
  });

  const upsert = (key: string, value: unknown) =>
    sql<{ stored: unknown }>`
      ${prepared} WITH w AS (
        INSERT INTO entries (key, value) VALUES (${key}, ${JSON.stringify(value)}::jsonb)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value
        RETURNING value
      )
      SELECT (SELECT value FROM w) AS stored
    `.execute(db);

  const preparedOnConnection = async () =>
    (
      await sql<{
        statement: string;
      }>`SELECT statement FROM pg_prepared_statements WHERE name LIKE 'warden_%'`.execute(db)
    ).rows.map((r) => r.statement);

  it('are prepared once per connection and answer with the values each call sent', async () => {
    const values = [{ a: 1 }, { 'odd key': [null, '\u00e9'] }, 'text', 0];
    for (const [i, value] of values.entries()) {
      const { rows } = await upsert(`k${i % 2}`, value);
      expect(rows[0].stored).toEqual(value);
    }
    const statements = await preparedOnConnection();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain('INSERT INTO entries');
    const { rows } = await sql<{
      key: string;
      value: unknown;
    }>`SELECT * FROM entries ORDER BY key`.execute(db);
    expect(rows).toEqual([
      { key: 'k0', value: 'text' },
      { key: 'k1', value: 0 },
    ]);
  });

  it('leave other statements unnamed', async () => {
    await sql`SELECT ${1}::int AS one`.execute(db);
    expect(await preparedOnConnection()).toHaveLength(1);
  });

  it('go on working after a migration changed a table they write', async () => {
    await upsert('k2', { before: true });
    await sql`ALTER TABLE entries ADD COLUMN note text`.execute(db);
    const { rows } = await upsert('k2', { after: true });
    expect(rows[0].stored).toEqual({ after: true });
  });
});
