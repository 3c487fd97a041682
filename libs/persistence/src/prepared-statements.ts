import { createHash } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';

const MARK = '/* prepared */';

/**
 * Opens a statement that every connection prepares once and then only binds and executes.
 * Kysely sends each statement unnamed, so PostgreSQL parses and plans it again every time;
 * for the worker's claim and the outbox relay's statement, long CTEs run once per run,
 * that was about half of their time (0.6 ms of 1.3 ms measured, docs/performance.md,
 * "Prepared statements"). Only for statements whose text does not change with their
 * arguments and whose result columns are the statement's own (json, named expressions), not
 * a table's row type: PostgreSQL re-plans a prepared statement after a migration, but a
 * `SELECT *` whose columns changed would fail.
 */
export const prepared = sql.raw(MARK);

const names = new Map<string, string>();
const NAMES_KEPT = 64;

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `warden_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (names.size >= NAMES_KEPT) names.clear();
    names.set(text, name);
  }
  return name;
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** The pool's client: a statement opened by `prepared` goes out named (see there). */
export class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as Query;
    this.query = ((config: unknown, values?: unknown, callback?: unknown) =>
      typeof config === 'string' && Array.isArray(values) && config.trimStart().startsWith(MARK)
        ? query({ name: statementName(config), text: config, values }, callback)
        : query(config, values, callback)) as pg.Client['query'];
  }
}
