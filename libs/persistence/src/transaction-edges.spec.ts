import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';
import { DATABASE_URL } from '../../../test/support/test-environment.js';
import { createDatabase, type Database } from './database.js';
import { prepared } from './prepared-statements.js';
import { TransactionAlreadyCommitted, commitsTransaction } from './transaction-edges.js';

/**
 * The edges of a transaction (BEGIN, COMMIT) travel with its first and last statements.
 * What must not change is what a transaction means; what must change is the number of
 * round trips, counted as the server's ReadyForQuery answers on the one connection.
 */
describe('a transaction whose BEGIN and COMMIT go with its statements', () => {
  const schema = `t_edges_${randomBytes(4).toString('hex')}`;
  let db: Database;
  let client: pg.Client | undefined;
  let roundTrips = 0;

  beforeAll(async () => {
    db = createDatabase({
      url: DATABASE_URL,
      schema,
      poolSize: 1,
      onConnection: (connected) => {
        client = connected;
        connected.connection.on('readyForQuery', () => roundTrips++);
      },
    });
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`CREATE TABLE entries (key text PRIMARY KEY, value int NOT NULL)`.execute(db);
    await sql`
      CREATE TABLE checked (n int NOT NULL,
        CONSTRAINT small CHECK (n < 100) NOT DEFERRABLE,
        CONSTRAINT unique_n UNIQUE (n) DEFERRABLE INITIALLY DEFERRED)`.execute(db);
  });

  afterAll(async () => {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
    await db?.destroy();
  });

  beforeEach(async () => {
    await sql`TRUNCATE entries, checked`.execute(db);
    roundTrips = 0;
  });

  const insert = (key: string, value: number) =>
    sql`INSERT INTO entries (key, value) VALUES (${key}, ${value})`;
  const keys = async () =>
    (await sql<{ key: string }>`SELECT key FROM entries ORDER BY key`.execute(db)).rows.map(
      (r) => r.key,
    );
  const idle = () => expect(client?.getTransactionStatus()).toBe('I');

  it('takes two round trips for two statements: BEGIN with the first, COMMIT with the last', async () => {
    await db.transaction().execute(async (trx) => {
      await insert('a', 1).execute(trx);
      await sql`${commitsTransaction} INSERT INTO entries (key, value) VALUES (${'b'}, ${2})`.execute(
        trx,
      );
    });
    expect(roundTrips).toBe(2);
    expect(await keys()).toEqual(['a', 'b']);
    idle();
  });

  it('without the marker, commits in a round trip of its own, as before', async () => {
    await db.transaction().execute(async (trx) => {
      await insert('a', 1).execute(trx);
      await insert('b', 2).execute(trx);
    });
    expect(roundTrips).toBe(3);
    expect(await keys()).toEqual(['a', 'b']);
  });

  it('sends nothing for a transaction that ran no statement', async () => {
    await db.transaction().execute(async () => undefined);
    await expect(
      db.transaction().execute(async () => {
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(roundTrips).toBe(0);
  });

  it('rolls back the first statement when the transaction fails after it', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await insert('a', 1).execute(trx);
        throw new Error('later failure');
      }),
    ).rejects.toThrow('later failure');
    expect(await keys()).toEqual([]);
    idle();
  });

  it('keeps nothing when the statement carrying COMMIT fails, and says why', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await insert('a', 1).execute(trx);
        await sql`${commitsTransaction} INSERT INTO checked (n) VALUES (${500})`.execute(trx);
      }),
    ).rejects.toThrow(/violates check constraint "small"/);
    expect(await keys()).toEqual([]);
    idle();
  });

  it('reports a COMMIT that failed (a deferred constraint) and keeps nothing', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await insert('a', 1).execute(trx);
        await sql`${commitsTransaction} INSERT INTO checked (n) SELECT ${7}::int FROM generate_series(1, 2)`.execute(
          trx,
        );
      }),
    ).rejects.toThrow(/unique_n/);
    expect(await keys()).toEqual([]);
    idle();
  });

  it('refuses a statement after the one that committed, instead of running it alone', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`${commitsTransaction} INSERT INTO entries (key, value) VALUES (${'a'}, ${1})`.execute(
          trx,
        );
        await insert('b', 2).execute(trx);
      }),
    ).rejects.toThrow(/a statement after the statement that committed/);
    expect(await keys()).toEqual(['a']);
  });

  it('does not pretend to roll back what the statement carrying COMMIT committed', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await insert('a', 1).execute(trx);
        await sql`${commitsTransaction} INSERT INTO entries (key, value) VALUES (${'b'}, ${2})`.execute(
          trx,
        );
        throw new Error('bookkeeping failed after the commit');
      }),
    ).rejects.toThrow(TransactionAlreadyCommitted);
    expect(await keys()).toEqual(['a', 'b']);
  });

  it('keeps a prepared statement usable after its first Parse failed with BEGIN behind it', async () => {
    const broken = (value: number) =>
      sql`${prepared} INSERT INTO entries (key, value) VALUES (${'x'}, ${value}) RETURNING nonexistent`;
    for (let i = 0; i < 2; i++) {
      await expect(db.transaction().execute((trx) => broken(i).execute(trx))).rejects.toThrow(
        /nonexistent/,
      );
      idle();
    }
    const good = (key: string) =>
      sql<{
        key: string;
      }>`${prepared} INSERT INTO entries (key, value) VALUES (${key}, ${1}) RETURNING key`;
    for (const key of ['p', 'q']) {
      const { rows } = await db.transaction().execute((trx) => good(key).execute(trx));
      expect(rows).toEqual([{ key }]);
    }
    expect(await keys()).toEqual(['p', 'q']);
  });

  it('prepares a statement that also carries the COMMIT, whichever marker comes first', async () => {
    const statements = [
      (key: string) =>
        sql`${commitsTransaction} ${prepared} INSERT INTO entries (key, value) VALUES (${key}, ${1})`,
      (key: string) =>
        sql`${prepared} ${commitsTransaction} INSERT INTO entries (key, value) VALUES (${key}, ${2})`,
    ];
    for (const [i, statement] of statements.entries()) {
      for (const key of [`a${i}`, `b${i}`]) {
        await db.transaction().execute(async (trx) => {
          await insert(`first-${key}`, 0).execute(trx);
          await statement(key).execute(trx);
        });
      }
    }
    expect(roundTrips).toBe(8);
    expect(await keys()).toEqual(
      ['a0', 'a1', 'b0', 'b1', 'first-a0', 'first-a1', 'first-b0', 'first-b1'].sort(),
    );
    const { rows } = await sql<{
      statement: string;
    }>`SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%commits its transaction%'`.execute(
      db,
    );
    expect(rows).toHaveLength(2);
  });

  it('answers a statement without parameters (simple protocol) inside the transaction', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`INSERT INTO entries (key, value) VALUES ('s', 1)`.execute(trx);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await keys()).toEqual([]);
  });
});
