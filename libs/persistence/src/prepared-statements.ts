import { createHash } from 'node:crypto';
import pg from 'pg';
import { stmt } from './statement.js';
import {
  EdgedStatement,
  TransactionAlreadyCommitted,
  leadingComments,
  opensWithCommit,
} from './transaction-edges.js';

const MARK = '/* prepared */';

/**
 * Opens a statement that every connection prepares once and then only binds and executes.
 * Kysely sends each statement unnamed, so PostgreSQL parses and plans it again every time;
 * for the worker's claim and the outbox relay's statement, long CTEs run once per run,
 * that was about half of their time (0.6 ms of 1.3 ms measured, docs/performance.md,
 * "Prepared statements"). Only for statements whose text takes few forms (the batch's
 * write has one per combination of the tables it touches) and whose result columns are the
 * statement's own (json, named expressions), not a table's row type: PostgreSQL re-plans a
 * prepared statement after a migration, but a `SELECT *` whose columns changed would fail.
 */
export const prepared = stmt.raw(MARK);

const names = new Map<string, string>();
/**
 * Every connection keeps what it prepared until it closes: past this many texts, a new
 * one goes out unnamed, so that a statement of many forms cannot fill PostgreSQL's memory.
 */
const TEXTS_PREPARED = 256;

function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < TEXTS_PREPARED) {
    name = `warden_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;
type Result = Pick<pg.QueryResult, 'command' | 'rowCount' | 'rows'>;

const answered = (command: string): Promise<Result> =>
  Promise.resolve({ command, rowCount: null, rows: [] });

/**
 * The pool's client. A statement opened by `prepared` goes out named (see there). A
 * transaction's `BEGIN` waits for its first statement and goes out with it, and a
 * statement opened by `commitsTransaction` takes the `COMMIT` with it (see
 * `EdgedStatement`): a run of the worker is two round trips instead of four.
 */
export class PreparingClient extends pg.Client {
  /** `begin` was asked for and is owed to the next statement. */
  private beginOwed = false;
  /** The last statement took the transaction's COMMIT with it. */
  private committedEarly = false;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as Query;
    this.query = ((config: unknown, values?: unknown, callback?: unknown) =>
      typeof config === 'string' && Array.isArray(values) && callback === undefined
        ? this.statement(query, config, values)
        : this.other(query, config, values, callback)) as pg.Client['query'];
  }

  /** A query that is not Kysely's (a config object, a callback): the owed BEGIN goes first. */
  private other(query: Query, config: unknown, values: unknown, callback: unknown): unknown {
    if (this.committedEarly) {
      this.committedEarly = false;
      throw new TransactionAlreadyCommitted('a statement');
    }
    if (this.beginOwed) {
      this.beginOwed = false;
      // Queued ahead of the query on this connection; a BEGIN that fails fails the query too.
      void (query('begin', []) as Promise<unknown>).catch(() => undefined);
    }
    return query(config, values, callback);
  }

  private statement(query: Query, text: string, values: unknown[]): Promise<Result> {
    const control = text === 'begin' || text === 'commit' || text === 'rollback' ? text : '';
    if (this.committedEarly) {
      this.committedEarly = false;
      if (control === 'commit') return answered('COMMIT');
      return Promise.reject(
        new TransactionAlreadyCommitted(control === 'rollback' ? 'a rollback' : 'a statement'),
      );
    }
    if (control === 'begin' && values.length === 0 && !this.beginOwed) {
      this.beginOwed = true;
      return answered('BEGIN');
    }
    const begins = this.beginOwed;
    this.beginOwed = false;
    // Nothing ran since BEGIN: there is no transaction to end.
    if (begins && control !== '') return answered(control.toUpperCase());
    const name = leadingComments(text).includes(MARK) ? statementName(text) : undefined;
    const send = () => query(name ? { name, text, values } : text, values) as Promise<Result>;
    // The simple protocol (no parameters) may carry several statements: no edges there,
    // and the transaction's own COMMIT follows as usual.
    if (values.length === 0)
      return begins ? (query('begin', []) as Promise<unknown>).then(send) : send();
    const commits = opensWithCommit(text);
    if (!begins && !commits) return send();
    return new Promise<Result>((resolve, reject) => {
      query(
        new EdgedStatement({ name, text, values }, begins, commits, (error, result) => {
          if (error) return reject(error);
          if (commits) this.committedEarly = true;
          resolve(result!);
        }),
      );
    });
  }
}
