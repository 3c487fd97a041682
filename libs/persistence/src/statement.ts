import { CompiledQuery, RawNode, ValueNode, type OperationNode, type QueryResult } from 'kysely';

/** What runs a compiled query: a `Kysely` instance or a transaction. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/**
 * SQL text with its parameters, written like Kysely's `sql` template and compiled by
 * concatenation. The worker builds a new statement for every run it applies (a CTE per
 * table it writes, every column an `unnest` parameter), and Kysely's `sql` builds that as
 * a tree of frozen nodes, then walks the tree to compile it: at 500 writes/s, in runs of
 * two or three events, that building was about a tenth of the worker's CPU (its `freeze`
 * alone 3.4 %, docs/performance.md). A `Statement` is only its fragments and values.
 *
 * A value is a parameter (`$n`), or, if it is a `Statement`, spliced in; a Kysely
 * expression is refused rather than sent as a parameter. A `Statement` may itself go
 * inside Kysely's `sql` (it is an operation node source).
 */
export class Statement {
  private constructor(
    /** One more than `values`: the text around each of them. */
    private readonly fragments: readonly string[],
    private readonly values: readonly unknown[],
  ) {}

  static template(fragments: TemplateStringsArray, ...values: unknown[]): Statement {
    for (const value of values) refuseForeignExpression(value);
    return new Statement(fragments, values);
  }

  /** Text as it is: never anything a client sent. */
  static raw(text: string): Statement {
    return new Statement([text], []);
  }

  /** A quoted identifier. */
  static id(name: string): Statement {
    return Statement.raw(quotedIdentifier(name));
  }

  /** The items separated by `separator`; an item that is not a `Statement` is a parameter. */
  static join(items: readonly unknown[], separator = ', '): Statement {
    if (items.length === 0) return Statement.raw('');
    for (const item of items) refuseForeignExpression(item);
    return new Statement(
      ['', ...Array.from({ length: items.length - 1 }, () => separator), ''],
      items,
    );
  }

  compile(): CompiledQuery {
    const parameters: unknown[] = [];
    return CompiledQuery.raw(this.appendTo('', parameters), parameters);
  }

  execute<R>(runner: QueryRunner): Promise<QueryResult<R>> {
    return runner.executeQuery<R>(this.compile());
  }

  /** For Kysely's `sql`: the same text, its parameters as value nodes. */
  toOperationNode(): OperationNode {
    const fragments = [''];
    const parameters: OperationNode[] = [];
    this.collect(fragments, parameters);
    return RawNode.create(fragments, parameters);
  }

  /** `text` with this statement after it, each parameter as `$n`. */
  private appendTo(text: string, parameters: unknown[]): string {
    text += this.fragments[0];
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i];
      if (value instanceof Statement) {
        text = value.appendTo(text, parameters);
      } else {
        parameters.push(value);
        text += `$${parameters.length}`;
      }
      text += this.fragments[i + 1];
    }
    return text;
  }

  private collect(fragments: string[], parameters: OperationNode[]): void {
    fragments[fragments.length - 1] += this.fragments[0];
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i];
      if (value instanceof Statement) {
        value.collect(fragments, parameters);
      } else {
        parameters.push(ValueNode.create(value));
        fragments.push('');
      }
      fragments[fragments.length - 1] += this.fragments[i + 1];
    }
  }
}

/** `name` as PostgreSQL reads a quoted identifier. */
export function quotedIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function refuseForeignExpression(value: unknown): void {
  if (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Statement) &&
    typeof (value as { toOperationNode?: unknown }).toOperationNode === 'function'
  ) {
    throw new TypeError('a Kysely expression inside a Statement: write it as a Statement');
  }
}

/** `stmt\`…${value}…\``: see `Statement`. */
export const stmt = Object.assign(Statement.template, {
  raw: Statement.raw,
  id: Statement.id,
  join: Statement.join,
});
