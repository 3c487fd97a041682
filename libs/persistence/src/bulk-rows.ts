import { quotedIdentifier, stmt, type Statement } from './statement.js';

/** A column of a bulk statement: its name, its PostgreSQL type, and its value in a row. */
export type BulkColumn<R> = readonly [name: string, type: string, value: (row: R) => unknown];

/**
 * `SELECT … FROM ROWS FROM (unnest($1::type[]), …) AS v(name, …)`: many rows as one
 * parameter per column. A batch writes thousands of rows per statement; building and
 * sending one parameter per value cost more than the database spent storing them. Only
 * for scalar columns: an array column would be flattened by unnest.
 *
 * A `jsonb` column (its values JSON texts, or null for SQL NULL) goes as one JSON array
 * instead of a `jsonb[]` literal: node-postgres escapes every quote and backslash of
 * every element of an array literal (its `escapeElement` was 4.4 % of the worker's CPU
 * applying a backlog), while JSON texts need only be joined. Each element is wrapped as
 * `[text]`, and `null` stands for SQL NULL, so that a JSON `null` stays a value. Such a
 * value must be one JSON text as `JSON.stringify` writes it: within the array, text that
 * is not (`1,2`, or nothing) would not be refused as a `jsonb` parameter refuses it.
 */
export function unnestRows<R>(rows: readonly R[], columns: readonly BulkColumn<R>[]): Statement {
  const sources = columns.map(([, type, value]) =>
    type === 'jsonb'
      ? stmt`jsonb_array_elements(${jsonElements(rows, value)}::jsonb)`
      : stmt`unnest(${rows.map(value)}::${stmt.raw(type)}[])`,
  );
  const { selected, names } = textOf(columns);
  return stmt`SELECT ${selected} FROM ROWS FROM (${stmt.join(sources)}) AS v(${names})`;
}

/** The parts of a bulk statement that only its columns decide, made once per column list. */
interface ColumnsText {
  selected: Statement;
  names: Statement;
  /** `(a, b, …)`, an INSERT's column list. */
  list: Statement;
}

const texts = new WeakMap<readonly BulkColumn<never>[], ColumnsText>();

function textOf<R>(columns: readonly BulkColumn<R>[]): ColumnsText {
  let text = texts.get(columns);
  if (!text) {
    const quoted = columns.map(([name]) => quotedIdentifier(name));
    const selected = columns.map(([, type], i) =>
      type === 'jsonb'
        ? `(nullif(v.${quoted[i]}, 'null'::jsonb) -> 0) AS ${quoted[i]}`
        : `v.${quoted[i]}`,
    );
    const names = stmt.raw(quoted.join(', '));
    text = { selected: stmt.raw(selected.join(', ')), names, list: stmt`(${names})` };
    texts.set(columns, text);
  }
  return text;
}

function jsonElements<R>(rows: readonly R[], value: (row: R) => unknown): string {
  let elements = '[';
  for (let i = 0; i < rows.length; i++) {
    const text = value(rows[i]);
    if (i > 0) elements += ',';
    elements +=
      text === null || text === undefined
        ? 'null'
        : `[${typeof text === 'string' ? text : JSON.stringify(text)}]`;
  }
  return `${elements}]`;
}

/** The column list of an INSERT fed by `unnestRows`. */
export function columnList<R>(columns: readonly BulkColumn<R>[]): Statement {
  return textOf(columns).list;
}
