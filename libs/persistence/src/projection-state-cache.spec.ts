import { TestEnvironment } from '../../../test/support/test-environment.js';
import { aRecordingDatabase } from '../../../test/support/recording-database.js';
import { ProjectionRepository } from './projection.repository.js';
import { ProjectionRebuild, checksumState } from './projection-rebuild.js';
import { AggregateStateCache } from './aggregate-state-cache.js';
import { CatalogRepository } from './catalog.repository.js';
import type { AggregateDocument } from './projection-working-set.js';
import type { ApplyOutcome } from './projection.types.js';
import type { DomainEvent } from '#domain/event-validation';
import { aRegistration, anEvent } from '#domain/governance.test-helpers';

const register = aRegistration;

const setConfig = (slug: string, key: string, value: unknown, expectedVersion?: number) =>
  anEvent(
    'config.set',
    { slug, env: 'prod', key, value },
    expectedVersion === undefined ? {} : { expectedVersion },
  );

const setQuota = (slug: string, limit: number) =>
  anEvent('policy.set', {
    slug,
    type: 'quota',
    env: '*',
    enabled: true,
    spec: { limit, period: 'day' },
  });

/** An applier as the worker runs it: a repository with a cache of its own. */
const anApplier = (env: TestEnvironment) =>
  new ProjectionRepository(env.db, new AggregateStateCache(10_000));

/** A handle on the environment's schema that keeps the text of every statement it sends. */
function aCountingDatabase(env: TestEnvironment) {
  const { db, statements } = aRecordingDatabase(env.schema, 2);
  /** How many statements `during` sent that read an entry's last version from the history. */
  const historyReads = async (during: () => Promise<void>) => {
    const before = statements.length;
    await during();
    return statements
      .slice(before)
      .filter((s) => /max\(version\)\s+AS max FROM config_history/.test(s)).length;
  };
  return { db, historyReads };
}

const serviceDocument = (documents: AggregateDocument[], slug: string) =>
  documents.find(
    (d): d is Extract<AggregateDocument, { kind: 'service' }> =>
      d.kind === 'service' && d.slug === slug,
  );

describe('ProjectionRepository with a cache of aggregate states', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await TestEnvironment.create('projection_cache');
  });

  afterAll(async () => {
    await env?.dispose();
  });

  beforeEach(async () => {
    await new ProjectionRebuild(env.db).run((session) => session.reset());
  });

  it('judges a change on the state another applier committed meanwhile', async () => {
    const [first, second] = [anApplier(env), anApplier(env)];
    await first.applyBatch({ events: [register('alpha'), setConfig('alpha', 'timeout', 1)] });

    expect((await second.apply(setConfig('alpha', 'timeout', 2, 1))).status).toBe('applied');
    const stale = await first.apply(setConfig('alpha', 'timeout', 3, 1));
    expect(stale).toMatchObject({ status: 'rejected', code: 'conflict' });
    const fresh = await first.apply(setConfig('alpha', 'timeout', 3, 2));
    expect(fresh).toMatchObject({
      status: 'applied',
      change: { version: 3, before: { value: 2 }, after: { value: 3 } },
    });
    // The first applier's own states serve it while nobody else writes.
    await first.apply(setQuota('alpha', 5));
    expect(first.states.stats().hits).toBeGreaterThan(0);

    const { snapshot } = await new CatalogRepository(env.db).serviceSnapshot('alpha');
    expect(snapshot?.config).toEqual([expect.objectContaining({ key: 'timeout', value: 3 })]);
  });

  it('numbers the versions of an entry it knows without reading the history again', async () => {
    const counting = aCountingDatabase(env);
    const applier = new ProjectionRepository(counting.db, new AggregateStateCache(10_000));
    const first = await counting.historyReads(() =>
      applier
        .applyBatch({ events: [register('alpha'), setConfig('alpha', 'mode', 'a')] })
        .then(() => undefined),
    );
    expect(first).toBe(1);
    const reads = await counting.historyReads(async () => {
      for (const value of ['b', 'c', 'd']) {
        const outcome = await applier.apply(setConfig('alpha', 'mode', value));
        expect(outcome).toMatchObject({ status: 'applied', change: { after: { value } } });
      }
    });
    expect(reads).toBe(0);
    // Deleted and set again: the numbering goes on from the history's last version.
    await applier.apply(anEvent('config.deleted', { slug: 'alpha', env: 'prod', key: 'mode' }));
    expect(await applier.apply(setConfig('alpha', 'mode', 'e'))).toMatchObject({
      change: { version: 5 },
    });
    // A rollback reads the versions it may return to.
    const rollback = anEvent('config.rolled-back', {
      slug: 'alpha',
      env: 'prod',
      key: 'mode',
      toVersion: 2,
    });
    expect(await applier.apply(rollback)).toMatchObject({
      change: { version: 6, after: { value: 'b' } },
    });
    // Another applier's change makes the known last version unusable: 7 is not reused.
    await anApplier(env).apply(setConfig('alpha', 'mode', 'f'));
    expect(await applier.apply(setConfig('alpha', 'mode', 'g'))).toMatchObject({
      change: { version: 8 },
    });
    await counting.db.destroy();
  });

  it('reads the aggregate again after a rebuild that counted its revisions anew', async () => {
    const applier = anApplier(env);
    await applier.applyBatch({ events: [register('alpha'), setConfig('alpha', 'mode', 'old')] });

    // The same number of changes, so the same revision, but another state.
    await new ProjectionRebuild(env.db).run(async (session) => {
      await session.reset();
      await session.apply({ events: [register('alpha'), setConfig('alpha', 'mode', 'new')] });
    });
    const { documents } = await applier.applyBatch({ events: [setQuota('alpha', 7)] });

    const document = serviceDocument(documents, 'alpha');
    expect(document?.revision).toBe(3);
    expect(document?.snapshot?.config).toEqual([
      expect.objectContaining({ key: 'mode', value: 'new' }),
    ]);
    expect(await applier.apply(setConfig('alpha', 'mode', 'newer', 1))).toMatchObject({
      status: 'applied',
      change: { before: { value: 'new' } },
    });
  });

  it('reads what PostgreSQL holds after a batch that failed', async () => {
    const applier = anApplier(env);
    await applier.apply(register('alpha'));
    const failing = applier.applyBatch({
      events: [setConfig('alpha', 'mode', 'lost')],
      feed: () => {
        throw new Error('outbox unavailable');
      },
    });
    await expect(failing).rejects.toThrow('outbox unavailable');

    const { documents } = await applier.applyBatch({ events: [setQuota('alpha', 1)] });
    expect(serviceDocument(documents, 'alpha')?.snapshot?.config).toEqual([]);
    expect(serviceDocument(documents, 'alpha')?.revision).toBe(2);
  });

  it('ends where an applier without a cache ends, deletes and registrations again included', async () => {
    const events: DomainEvent[] = [
      register('alpha'),
      setConfig('alpha', 'doc', { nested: { b: 1, a: 2 }, list: [3, { z: 0, y: 1 }] }),
      setQuota('alpha', 5),
      setConfig('nobody', 'doc', 1),
      anEvent('config.rolled-back', { slug: 'alpha', env: 'prod', key: 'doc', toVersion: 1 }),
      anEvent('service.updated', { slug: 'alpha', tier: 0 }, { expectedVersion: 1 }),
      anEvent('service.deleted', { slug: 'alpha' }),
      setQuota('alpha', 6),
      register('alpha'),
      setConfig('alpha', 'doc', { again: true }),
      anEvent('config.rolled-back', { slug: 'alpha', env: 'prod', key: 'doc', toVersion: 1 }),
      anEvent('config.deleted', { slug: 'alpha', env: 'prod', key: 'doc' }),
      setConfig('alpha', 'doc', { z: 1, a: { d: 0, c: 1 } }),
      // Read from the cache alone: no configuration event, nobody else wrote.
      setQuota('alpha', 8),
    ];
    const applier = anApplier(env);
    const cached: ApplyOutcome['status'][] = [];
    let last: AggregateDocument[] = [];
    for (const event of events) {
      const { outcomes, documents } = await applier.applyBatch({ events: [event] });
      cached.push(outcomes[0].status);
      if (documents.length > 0) last = documents;
    }
    const withCache = await checksumState(env.db);
    expect(applier.states.stats().hits).toBeGreaterThan(0);

    await new ProjectionRebuild(env.db).run((session) => session.reset());
    const plain = new ProjectionRepository(env.db);
    const uncached: ApplyOutcome['status'][] = [];
    for (const event of events) uncached.push((await plain.apply(event)).status);

    expect(cached).toEqual(uncached);
    expect(cached).toContain('rejected');
    // The audit is kept across a rebuild; everything else is rebuilt.
    const { audit_log: _kept, ...rebuilt } = (await checksumState(env.db)).tables;
    const { audit_log: _first, ...first } = withCache.tables;
    expect(rebuilt).toEqual(first);
    // What the cache hands on is byte for byte what a read of PostgreSQL answers.
    const { snapshot } = await new CatalogRepository(env.db).serviceSnapshot('alpha');
    expect(JSON.stringify(serviceDocument(last, 'alpha')?.snapshot?.config)).toBe(
      JSON.stringify(snapshot?.config),
    );
    expect(serviceDocument(last, 'alpha')?.snapshot?.policies).toEqual(snapshot?.policies);
  });
});
