import { sql } from 'kysely';
import { TestEnvironment } from '../../../test/support/test-environment.js';
import { aRecordingDatabase } from '../../../test/support/recording-database.js';
import { ProjectionRepository, ProjectionsRebuilding } from './projection.repository.js';
import { ProjectionRebuild } from './projection-rebuild.js';
import { AggregateStateCache } from './aggregate-state-cache.js';
import { CatalogRepository } from './catalog.repository.js';
import { projectionLockKey } from './projection-lock.js';
import type { LoggedEvent } from '#domain/event-validation';
import { aRegistration, anEvent } from '#domain/governance.test-helpers';

/** An event as the worker reads one that the API signed. */
const fromApi = <T extends LoggedEvent>(event: T): T => ({
  ...event,
  source: 'api',
  actorVerified: true,
});

const setConfig = (slug: string, key: string, value: unknown, expectedVersion?: number) =>
  fromApi(
    anEvent(
      'config.set',
      { slug, env: 'prod', key, value },
      expectedVersion === undefined ? {} : { expectedVersion },
    ),
  );

/** A repository whose connections keep the text of every statement they send. */
function aCountingApplier(env: TestEnvironment) {
  const { db, statements } = aRecordingDatabase(env.schema, 1);
  const applier = new ProjectionRepository(db, new AggregateStateCache(10_000));
  /** The statements `during` sent, BEGIN, COMMIT and ROLLBACK left out. */
  const sent = async (during: () => Promise<unknown>) => {
    const before = statements.length;
    await during();
    return statements.slice(before).filter((s) => !/^(begin|commit|rollback)$/i.test(s));
  };
  return { db, applier, sent };
}

const outcomeRow = (env: TestEnvironment, id: string) =>
  sql<{ status: string; code: string | null; version: number | null }>`
    SELECT status, code, version FROM processed_events WHERE id = ${id}`
    .execute(env.db)
    .then((r) => r.rows[0]);

describe('a batch of API writes decided on the cached states', () => {
  let env: TestEnvironment;
  let counting: ReturnType<typeof aCountingApplier>;

  beforeAll(async () => {
    env = await TestEnvironment.create('optimistic_apply');
  });

  afterAll(async () => {
    await counting?.db.destroy();
    await env?.dispose();
  });

  beforeEach(async () => {
    await counting?.db.destroy();
    await new ProjectionRebuild(env.db).run((session) => session.reset());
    counting = aCountingApplier(env);
    await counting.applier.applyBatch({
      events: [fromApi(aRegistration('alpha')), setConfig('alpha', 'timeout', 1)],
    });
  });

  it('is one statement when the applier holds the service, and applies as the locking way does', async () => {
    const event = setConfig('alpha', 'timeout', 2, 1);
    const sent = await counting.sent(async () => {
      expect(await counting.applier.apply(event)).toMatchObject({
        status: 'applied',
        change: { version: 2, before: { value: 1 }, after: { value: 2 } },
      });
    });
    expect(sent).toHaveLength(1);
    expect(await outcomeRow(env, event.id)).toEqual({ status: 'applied', code: null, version: 2 });
    const { snapshot } = await new CatalogRepository(env.db).serviceSnapshot('alpha');
    expect(snapshot?.config).toEqual([expect.objectContaining({ key: 'timeout', value: 2 })]);
    // The audit has the change, as any applied change.
    const audit = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM audit_log WHERE event_id = ${event.id}`.execute(env.db);
    expect(audit.rows[0].n).toBe(1);
  });

  it('is one statement for a policy change too, and the locking way for a change of the service itself', async () => {
    const quota = fromApi(
      anEvent('policy.set', {
        slug: 'alpha',
        type: 'quota',
        env: '*',
        enabled: true,
        spec: { limit: 5, period: 'day' },
      }),
    );
    expect(await counting.sent(() => counting.applier.apply(quota))).toHaveLength(1);
    const renamed = fromApi(anEvent('service.updated', { slug: 'alpha', name: 'Alpha' }));
    const sent = await counting.sent(async () => {
      expect(await counting.applier.apply(renamed)).toMatchObject({ status: 'applied' });
    });
    // Claim and lock first, then the service's row, then the rest.
    expect(sent[0]).toMatch(/INSERT INTO aggregates/);
  });

  it('records a refusal with its code in the same statement', async () => {
    const stale = setConfig('alpha', 'timeout', 2, 7);
    const sent = await counting.sent(async () => {
      expect(await counting.applier.apply(stale)).toMatchObject({
        status: 'rejected',
        code: 'conflict',
      });
    });
    expect(sent).toHaveLength(1);
    expect(await outcomeRow(env, stale.id)).toMatchObject({ status: 'rejected', code: 'conflict' });
  });

  it('goes the locking way when another applier changed the service, and loses no change', async () => {
    const other = new ProjectionRepository(env.db, new AggregateStateCache(10_000));
    expect(await other.apply(setConfig('alpha', 'timeout', 2, 1))).toMatchObject({
      status: 'applied',
    });

    // Decided on version 1, the cached one: the check fails and the batch reads again.
    const sent = await counting.sent(async () => {
      expect(await counting.applier.apply(setConfig('alpha', 'timeout', 3, 1))).toMatchObject({
        status: 'rejected',
        code: 'conflict',
      });
      expect(await counting.applier.apply(setConfig('alpha', 'timeout', 3))).toMatchObject({
        status: 'applied',
        change: { version: 3, before: { value: 2 }, after: { value: 3 } },
      });
    });
    // The first tried from the cache and failed (nothing committed), then locked and read.
    expect(sent.length).toBeGreaterThan(2);
    const history = await sql<{ version: number }>`
      SELECT version FROM config_history WHERE slug = 'alpha' AND key = 'timeout' ORDER BY version`.execute(
      env.db,
    );
    expect(history.rows.map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it('answers a delivery of an event applied already as a duplicate, applied once', async () => {
    const event = setConfig('alpha', 'timeout', 2);
    await counting.applier.apply(event);
    expect(await counting.applier.apply(event)).toEqual({ status: 'duplicate' });
    const history = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM config_history WHERE event_id = ${event.id}`.execute(env.db);
    expect(history.rows[0].n).toBe(1);
  });

  it('gives way to a replay before it touches a row the replay holds', async () => {
    await env.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${projectionLockKey})`.execute(trx);
      await sql`DELETE FROM config_entries WHERE slug = 'alpha'`.execute(trx);
      await expect(counting.applier.apply(setConfig('alpha', 'timeout', 2))).rejects.toBeInstanceOf(
        ProjectionsRebuilding,
      );
    });
  });

  it('waits for a replay that holds the projections', async () => {
    await env.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${projectionLockKey})`.execute(trx);
      await expect(counting.applier.apply(setConfig('alpha', 'timeout', 2))).rejects.toBeInstanceOf(
        ProjectionsRebuilding,
      );
    });
    expect(await counting.applier.apply(setConfig('alpha', 'timeout', 2))).toMatchObject({
      status: 'applied',
    });
  });
});
