import { sql, type RawBuilder } from 'kysely';

/** A column of a bulk statement: its name, its PostgreSQL type, and its value in a row. */
export type BulkColumn<R> = readonly [name: string, type: string, value: (row: R) => unknown];

/**
 * `SELECT * FROM unnest($1::type[], …) AS v(name, …)`: many rows as one parameter per
 * column. A batch writes thousands of rows per statement; building and sending one
 * parameter per value cost more than the database spent storing them. Only for scalar
 * columns: an array column would be flattened by unnest.
 */
export function unnestRows<R>(
  rows: readonly R[],
  columns: readonly BulkColumn<R>[],
): RawBuilder<unknown> {
  const arrays = columns.map(([, type, value]) => sql`${rows.map(value)}::${sql.raw(type)}[]`);
  return sql`SELECT * FROM unnest(${sql.join(arrays)}) AS v(${sql.join(columns.map(([name]) => sql.id(name)))})`;
}

/** The column list of an INSERT fed by `unnestRows`. */
export function columnList<R>(columns: readonly BulkColumn<R>[]): RawBuilder<unknown> {
  return sql`(${sql.join(columns.map(([name]) => sql.id(name)))})`;
}
