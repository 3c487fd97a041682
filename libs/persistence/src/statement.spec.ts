import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { stmt } from './statement.js';

/** Compiles Kysely's queries as PostgreSQL's dialect does; never connects. */
const compiler = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) });

describe('Statement', () => {
  afterAll(() => compiler.destroy());

  it('numbers the parameters of nested statements in the order they are written', () => {
    const inner = stmt`b = ${'two'} AND c = ${[3, 4]}`;
    const query = stmt`SELECT ${1} WHERE ${inner} AND d = ${null}`.compile();
    expect(query.sql).toBe('SELECT $1 WHERE b = $2 AND c = $3 AND d = $4');
    expect(query.parameters).toEqual([1, 'two', [3, 4], null]);
  });

  it('joins items with commas, each a parameter unless it is a statement', () => {
    const query = stmt`(${stmt.join([stmt.id('a'), 'x', stmt.raw('now()')])})`.compile();
    expect(query.sql).toBe('("a", $1, now())');
    expect(query.parameters).toEqual(['x']);
    expect(stmt`${stmt.join([])}`.compile().sql).toBe('');
  });

  it('quotes an identifier as PostgreSQL reads it', () => {
    expect(stmt.id('we"ird').compile().sql).toBe('"we""ird"');
  });

  it('refuses a Kysely expression rather than sending it as a parameter', () => {
    expect(() => stmt`SELECT ${sql`1`}`).toThrow(/Kysely expression/);
    expect(() => stmt.join([sql`1`])).toThrow(/Kysely expression/);
  });

  it("compiles inside Kysely's sql to the text and parameters it compiles to alone", () => {
    const part = stmt`x = ${'a'} AND ${stmt`y = ${2}`}`;
    const viaKysely = sql`SELECT ${0} WHERE ${part} AND z = ${true}`.compile(compiler);
    expect(viaKysely.sql).toBe('SELECT $1 WHERE x = $2 AND y = $3 AND z = $4');
    expect(viaKysely.parameters).toEqual([0, 'a', 2, true]);
    expect(stmt`SELECT ${0} WHERE ${part} AND z = ${true}`.compile().sql).toBe(viaKysely.sql);
  });
});
