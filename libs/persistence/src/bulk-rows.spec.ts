import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { DATABASE_URL } from '../../../test/support/test-environment.js';
import { createDatabase, type Database } from './database.js';
import { unnestRows, type BulkColumn } from './bulk-rows.js';

/** Text PostgreSQL can store: anything but NUL (refused at both edges before it gets here). */
const storableText = fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\u0000', ''));

interface Row {
  n: number;
  text: string | null;
  document: unknown;
  at: Date;
  flag: boolean;
  bytes: Buffer | null;
  /** A nullable JSON column: SQL NULL, JSON null and any other JSON value are three things. */
  maybe: string | null;
}

const COLUMNS: BulkColumn<Row>[] = [
  ['n', 'integer', (r) => r.n],
  ['text', 'text', (r) => r.text],
  ['document', 'jsonb', (r) => JSON.stringify(r.document)],
  ['at', 'timestamptz', (r) => r.at],
  ['flag', 'boolean', (r) => r.flag],
  ['bytes', 'bytea', (r) => r.bytes],
  ['maybe', 'jsonb', (r) => r.maybe],
];

describe('unnestRows', () => {
  const schema = `t_bulk_${randomBytes(4).toString('hex')}`;
  let db: Database;

  beforeAll(async () => {
    db = createDatabase({ url: DATABASE_URL, schema, poolSize: 1 });
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
  });

  afterAll(async () => {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
    await db?.destroy();
  });

  // jsonb reaches JavaScript parsed, where JSON null and SQL NULL look alike: read it as text.
  const roundTrip = async (rows: Row[]) =>
    (
      await sql<Row>`SELECT n, text, document, at, flag, bytes, maybe::text AS maybe
                     FROM (${unnestRows(rows, COLUMNS)}) AS r ORDER BY n`.execute(db)
    ).rows;

  const aRow = (n: number, text: string | null, document: unknown = { n }): Row => ({
    n,
    text,
    document,
    at: new Date(Date.UTC(2026, 11, 7, 11, 30, 0, n % 1000)),
    flag: n % 2 === 0,
    bytes: n % 3 === 0 ? null : Buffer.from([n % 256, 92, 34, 0]),
    maybe: [null, 'null', '"null"', '[null]', '{"a": null}'][n % 5],
  });

  it('hands PostgreSQL every value of every column exactly as sent, one parameter per column', async () => {
    const awkward = ['', 'NULL', '"', '\\', '\\"', '{a,b}', 'a, b', ' padded ', 'é\u2028𝄞', null];
    const rows = awkward.map((text, n) =>
      aRow(n, text, { [`odd "key" ${text ?? ''}\\`]: [text, '}', null, 1.5e300] }),
    );
    expect(await roundTrip(rows)).toEqual(rows);
  });

  it('keeps arbitrary text and JSON as sent, whatever characters they hold', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.option(storableText, { nil: null }), storableText), {
          maxLength: 30,
        }),
        async (values) => {
          const rows = values.map(([text, key], n) => aRow(n, text, { [key]: text }));
          expect(await roundTrip(rows)).toEqual(rows);
        },
      ),
      { numRuns: 60 },
    );
  });
});
