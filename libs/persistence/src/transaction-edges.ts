import pg from 'pg';
import { stmt } from './statement.js';

const COMMITS = '/* commits its transaction */';

/**
 * Opens the last statement of a transaction: it goes out with `COMMIT` behind it, in the
 * same write and under the same Sync, and the transaction's own `commit` is then answered
 * without a round trip. Only for a statement after which the transaction runs nothing
 * else; one that does is refused (it would run outside the committed transaction).
 */
export const commitsTransaction = stmt.raw(COMMITS);

/** The comments a statement opens with: where its markers (`prepared`, this one) are. */
export function leadingComments(text: string): string {
  return /^\s*(?:\/\*[^*]*\*\/\s*)*/.exec(text)![0];
}

/**
 * The transaction's `rollback` (or a statement) came after the statement that committed
 * it: what it wrote is in PostgreSQL. Raised instead of a pretended rollback, so that the
 * caller knows the work after that statement failed on a committed transaction (a retry
 * finds its events already processed).
 */
export class TransactionAlreadyCommitted extends Error {
  constructor(what: string) {
    super(`${what} after the statement that committed its transaction (commitsTransaction)`);
    this.name = 'TransactionAlreadyCommitted';
  }
}

export function opensWithCommit(text: string): boolean {
  return leadingComments(text).includes(COMMITS);
}

/** The parts of node-postgres' connection that a statement writes with. */
interface WireConnection {
  parse(query: { text: string; name?: string; types?: unknown[] }): void;
  bind(config?: object): void;
  execute(config?: object): void;
  sync(): void;
  submittedNamedStatements: Record<string, string>;
}

/** node-postgres' `Query` as far as this subclass relies on it (pg/lib/query.js). */
interface WireQuery {
  name?: string;
  text: string;
  types?: unknown[];
  portal: string;
  hasBeenParsed(connection: WireConnection): boolean;
  prepare(connection: WireConnection): void;
  _getRows(connection: WireConnection, rows?: number): void;
  handleCommandComplete(message: { text: string }, connection: WireConnection): void;
  handleError(error: Error, connection: WireConnection): void;
  handleReadyForQuery(connection: WireConnection): void;
}

type QueryCallback = (error: Error | null, result?: pg.QueryResult) => void;
const BaseQuery = pg.Query as unknown as new (
  config: pg.QueryConfig,
  values: undefined,
  callback: QueryCallback,
) => WireQuery;

function sendUnnamed(connection: WireConnection, text: string): void {
  connection.parse({ text });
  connection.bind();
  connection.execute();
}

/**
 * A statement with the transaction's `BEGIN` before it and/or `COMMIT` after it, sent in
 * one write and answered under one Sync. Each round trip saved is a wake-up of the
 * worker and of a PostgreSQL backend (docs/performance.md, "What a round trip costs").
 * The protocol keeps the meaning: after an error the server skips everything up to the
 * Sync, so no statement runs outside its transaction and a failed statement is never
 * committed. Extended protocol only (a statement with parameters); a named statement's
 * Parse goes before `BEGIN`, so that a Parse error of it is the statement's own.
 */
export class EdgedStatement extends BaseQuery {
  private completions = 0;
  private commitTag?: string;

  constructor(
    config: pg.QueryConfig,
    private readonly begins: boolean,
    private readonly commits: boolean,
    callback: QueryCallback,
  ) {
    super(config, undefined, callback);
  }

  override prepare(connection: WireConnection): void {
    if (this.begins) {
      if (this.name && !this.hasBeenParsed(connection)) {
        connection.parse({ text: this.text, name: this.name, types: this.types });
        connection.submittedNamedStatements[this.name] = this.text;
      }
      // An unnamed statement is parsed again after it: the unnamed BEGIN replaces nothing.
      sendUnnamed(connection, 'BEGIN');
    }
    super.prepare(connection);
  }

  override _getRows(connection: WireConnection, rows?: number): void {
    if (!this.commits || rows) return super._getRows(connection, rows);
    connection.execute({ portal: this.portal });
    sendUnnamed(connection, 'COMMIT');
    connection.sync();
  }

  override handleCommandComplete(message: { text: string }, connection: WireConnection): void {
    this.completions++;
    if (this.begins && this.completions === 1) return;
    if (this.commits && this.completions === (this.begins ? 3 : 2)) {
      this.commitTag = message.text;
      return;
    }
    super.handleCommandComplete(message, connection);
  }

  override handleReadyForQuery(connection: WireConnection): void {
    // PostgreSQL answers COMMIT with ROLLBACK when the transaction had failed earlier.
    if (this.commits && this.commitTag !== 'COMMIT') {
      const error = new Error(
        `the transaction did not commit (${this.commitTag ?? 'no answer to COMMIT'})`,
      );
      return this.handleError(error, connection);
    }
    super.handleReadyForQuery(connection);
  }
}
