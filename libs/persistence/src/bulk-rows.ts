import { stmt, type Statement } from './statement.js';

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
  const selected = columns.map(([name, type]) =>
    type === 'jsonb'
      ? stmt`(nullif(v.${stmt.id(name)}, 'null'::jsonb) -> 0) AS ${stmt.id(name)}`
      : stmt`v.${stmt.id(name)}`,
  );
  const names = columns.map(([name]) => stmt.id(name));
  return stmt`SELECT ${stmt.join(selected)} FROM ROWS FROM (${stmt.join(sources)}) AS v(${stmt.join(names)})`;
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
  return stmt`(${stmt.join(columns.map(([name]) => stmt.id(name)))})`;
}
