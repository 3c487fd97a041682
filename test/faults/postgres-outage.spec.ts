import { sql } from 'kysely';
import { TestEnvironment } from '../support/test-environment.js';
import { PrivatePostgres } from '../support/private-servers.js';
import { WardenClient } from '../support/http-client.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, type Database } from '#persistence/database';
import { migrateToLatest } from '#persistence/migrator';
import type { AppProcess } from '../support/app-process.js';
import {
  Apps,
  CounterWriters,
  appliedCount,
  expectAppliedExactlyOnceInOrder,
  isAlive,
  logLines,
  pause,
  WHOLE_HISTORY,
} from './fault-helpers.js';

const OUTAGE_MS = 10_000;

describe('fault: PostgreSQL is stopped for 10 s in the middle of a stream of writes', () => {
  let env: TestEnvironment;
  let postgres: PrivatePostgres;
  let db: Database;
  const apps = new Apps();
  let api: AppProcess;
  let worker: AppProcess;

  beforeAll(async () => {
    env = await TestEnvironment.create('postgres-outage');
    postgres = await PrivatePostgres.start();
    db = createDatabase({ url: postgres.url, schema: env.schema, poolSize: 2 });
    await migrateToLatest(db, env.schema);
    ({ api, worker } = await apps.both(
      env.processEnv({ DATABASE_URL: postgres.url, LOG_LEVEL: 'warn', ...WHOLE_HISTORY }),
    ));
  }, 120_000);

  afterAll(async () => {
    await apps.stopAll();
    await db?.destroy();
    await postgres?.dispose();
    await env?.dispose();
  });

  it('loses nothing, applies nothing twice and resumes consuming by itself', async () => {
    const writers = await CounterWriters.register(new WardenClient(api.baseUrl), 10);
    writers.start(Infinity, { pauseMs: 20 });
    try {
      await eventually(() => expect(writers.accepted.length).toBeGreaterThanOrEqual(200), {
        timeoutMs: 30_000,
      });
      await postgres.stop();
      const acceptedAtStop = writers.accepted.length;
      // The fault lasts 10 s: writes keep being accepted, since they only need Kafka.
      await pause(OUTAGE_MS);
      expect(writers.accepted.length).toBeGreaterThan(acceptedAtStop);
      await postgres.resume();
      const acceptedAtResume = writers.accepted.length;
      await eventually(
        () => expect(writers.accepted.length).toBeGreaterThanOrEqual(acceptedAtResume + 200),
        {
          timeoutMs: 30_000,
        },
      );
    } finally {
      await writers.stop();
    }

    expect(writers.unexpected).toEqual([]);
    const ids = writers.accepted.map((w) => w.eventId);
    await eventually(async () => expect(await appliedCount(db, ids)).toBe(ids.length), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect((await expectAppliedExactlyOnceInOrder(db, writers)).phantoms).toBe(0);

    // The same worker process waited and went on: it retried in place, it did not crash.
    expect(isAlive(worker)).toBe(true);
    expect(logLines(worker)).toContainEqual(
      expect.objectContaining({ msg: 'events not applied yet; retrying' }),
    );
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM dead_letters`.execute(db);
    expect(Number(rows[0].n)).toBe(0);
  }, 180_000);
});
