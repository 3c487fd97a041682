import { createDatabase, type Database } from '#persistence/database';
import { DATABASE_URL } from './test-environment.js';

/**
 * A handle on `schema` whose connections keep the text of every statement they send,
 * in order (a spec counts what a piece of work sent PostgreSQL).
 */
export function aRecordingDatabase(
  schema: string,
  poolSize: number,
): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const db = createDatabase({
    url: DATABASE_URL,
    schema,
    poolSize,
    onConnection: (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        if (typeof args[0] === 'string') statements.push(args[0]);
        return query(...args);
      }) as typeof client.query;
    },
  });
  return { db, statements };
}
