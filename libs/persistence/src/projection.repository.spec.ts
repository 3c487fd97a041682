import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { TestEnvironment, DATABASE_URL } from '../../../test/support/test-environment.js';
import { createDatabase, type Database } from './database.js';
import { migrateToLatest } from './migrator.js';
import {
  ProjectionRepository,
  ProjectionsRebuilding,
  projectionLockKey,
} from './projection.repository.js';
import { ProjectionRebuild, checksumState } from './projection-rebuild.js';
import { CatalogRepository } from './catalog.repository.js';
import type { DomainEvent } from '#domain/event-validation';
import { aRegistration, anEvent as domainEvent } from '#domain/governance.test-helpers';

/** An event at a random moment of 2026, so that timestamps differ from one run to the next. */
function anEvent(
  type: DomainEvent['type'],
  data: Record<string, unknown>,
  extra: Partial<DomainEvent> = {},
): DomainEvent {
  const occurredAt = new Date(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 1e9)).toISOString();
  return { ...domainEvent(type, data as never, { occurredAt }), ...extra } as DomainEvent;
}

const register = aRegistration;

/**
 * A stretch of log that exercises every rule: conflicts, unknown services, stale
 * versions, rollbacks to versions written earlier in the same stretch, a service deleted
 * and registered again with new configuration, defaults, and an event delivered twice.
 */
function aScenario(): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const slug of ['alpha', 'beta', 'gamma']) events.push(register(slug));
  events.push(register('alpha'));
  events.push(anEvent('service.updated', { slug: 'alpha', tier: 0, tags: ['core'] }));
  events.push(anEvent('service.updated', { slug: 'alpha', name: 'stale' }, { expectedVersion: 1 }));
  events.push(anEvent('service.updated', { slug: 'nobody', tier: 2 }));
  for (let i = 0; i < 6; i++) {
    events.push(
      anEvent('config.set', {
        slug: 'beta',
        env: 'prod',
        key: 'timeout',
        value: { ms: i * 100, nested: { b: 1, a: 2 } },
      }),
    );
  }
  events.push(
    anEvent('config.rolled-back', { slug: 'beta', env: 'prod', key: 'timeout', toVersion: 2 }),
  );
  events.push(
    anEvent('config.rolled-back', { slug: 'beta', env: 'prod', key: 'timeout', toVersion: 99 }),
  );
  events.push(anEvent('config.deleted', { slug: 'beta', env: 'prod', key: 'timeout' }));
  events.push(anEvent('config.deleted', { slug: 'beta', env: 'prod', key: 'timeout' }));
  events.push(
    anEvent('config.set', {
      slug: 'beta',
      env: 'prod',
      key: 'timeout',
      value: 7,
      description: 'after a delete',
    }),
  );
  events.push(
    anEvent('config.set', {
      slug: 'beta',
      env: 'dev',
      key: 'odd',
      value: { text: 'a "quoted" \\ back,{brace} NULL ünï 🚀', list: [null, '', 'x'] },
      description: 'with "quotes", \\ and {braces}',
    }),
  );
  events.push(
    anEvent('policy.set', {
      slug: 'gamma',
      type: 'quota',
      env: '*',
      enabled: true,
      spec: { limit: 5, period: 'day' },
    }),
  );
  events.push(
    anEvent('policy.set', {
      slug: 'gamma',
      type: 'quota',
      env: 'prod',
      enabled: false,
      spec: { limit: 9, period: 'hour' },
    }),
  );
  events.push(
    anEvent(
      'policy.set',
      { slug: 'gamma', type: 'quota', env: '*', enabled: true, spec: { limit: 6, period: 'day' } },
      { expectedVersion: 1 },
    ),
  );
  events.push(anEvent('policy.removed', { slug: 'gamma', type: 'quota', env: 'prod' }));
  events.push(anEvent('policy.removed', { slug: 'gamma', type: 'access', env: 'prod' }));
  events.push(
    anEvent('default-policy.set', {
      type: 'rate-limit',
      enabled: true,
      spec: { requestsPerSecond: 10, burst: 5 },
    }),
  );
  events.push(
    anEvent(
      'default-policy.set',
      { type: 'rate-limit', spec: { requestsPerSecond: 20, burst: 0 } },
      { expectedVersion: 1 },
    ),
  );
  events.push(
    anEvent(
      'default-policy.set',
      { type: 'quota', spec: { limit: 1, period: 'month' } },
      { expectedVersion: 3 },
    ),
  );
  events.push(anEvent('config.set', { slug: 'gamma', env: 'dev', key: 'flag', value: true }));
  events.push(anEvent('service.deleted', { slug: 'gamma' }));
  events.push(
    anEvent('policy.set', {
      slug: 'gamma',
      type: 'quota',
      env: '*',
      enabled: true,
      spec: { limit: 5, period: 'day' },
    }),
  );
  events.push(register('gamma'));
  events.push(anEvent('config.set', { slug: 'gamma', env: 'dev', key: 'flag', value: false }));
  events.push(
    anEvent('config.rolled-back', { slug: 'gamma', env: 'dev', key: 'flag', toVersion: 1 }),
  );
  events.push(events[4]);
  return events;
}

async function freshSchema(label: string): Promise<{ db: Database; schema: string }> {
  const schema = `t_${label}_${randomBytes(4).toString('hex')}`;
  const db = createDatabase({ url: DATABASE_URL, schema, poolSize: 3 });
  await migrateToLatest(db, schema);
  return { db, schema };
}

describe(ProjectionRepository.name, () => {
  let env: TestEnvironment;
  let other: { db: Database; schema: string };

  beforeAll(async () => {
    env = await TestEnvironment.create('projection');
    other = await freshSchema('projection_b');
  });

  afterAll(async () => {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(other.schema)} CASCADE`.execute(other.db);
    await other?.db.destroy();
    await env?.dispose();
  });

  beforeEach(async () => {
    for (const db of [env.db, other.db]) {
      for (const table of [
        'config_history',
        'config_entries',
        'policies',
        'services',
        'default_policies',
        'aggregates',
        'audit_log',
        'processed_events',
        'dead_letters',
        'outbox_messages',
      ] as const) {
        await db.deleteFrom(table).execute();
      }
    }
  });

  describe('applyBatch', () => {
    it('ends in the same state and outcomes as applying the events one at a time', async () => {
      const events = aScenario();
      const single = new ProjectionRepository(env.db);
      const oneByOne = [];
      for (const event of events) oneByOne.push((await single.apply(event)).status);

      const batched = new ProjectionRepository(other.db);
      const together = [];
      for (const [from, to] of [
        [0, 1],
        [1, 9],
        [9, 30],
        [30, events.length],
      ]) {
        const { outcomes } = await batched.applyBatch({ events: events.slice(from, to) });
        together.push(...outcomes.map((o) => o.status));
      }

      expect(together).toEqual(oneByOne);
      expect(oneByOne.filter((s) => s === 'rejected')).toHaveLength(8);
      expect(oneByOne.at(-1)).toBe('duplicate');
      const [a, b] = [await checksumState(env.db), await checksumState(other.db)];
      expect(b.tables).toEqual(a.tables);
      expect(b.tables.services.rows).toBe(3);
      const odd = events.find((e) => e.type === 'config.set' && e.data.key === 'odd')!;
      const stored = await other.db
        .selectFrom('config_entries')
        .select(['value', 'description'])
        .where('key', '=', 'odd')
        .executeTakeFirstOrThrow();
      expect(stored).toEqual({
        value: (odd.data as { value: unknown }).value,
        description: (odd.data as { description: string }).description,
      });
    });

    it('hands back documents equal to what a reader loads from PostgreSQL', async () => {
      const repository = new ProjectionRepository(env.db);
      const { documents } = await repository.applyBatch({ events: aScenario() });
      const catalog = new CatalogRepository(env.db);
      const byKey = <T extends object>(items: T[], ...keys: (keyof T)[]) =>
        [...items].sort(
          (x, y) =>
            keys.map((k) => String(x[k]).localeCompare(String(y[k]))).find((c) => c !== 0) ?? 0,
        );

      expect(documents.map((d) => d.aggregate).sort()).toEqual([
        'defaults:*',
        'service:alpha',
        'service:beta',
        'service:gamma',
      ]);
      for (const document of documents) {
        if (document.kind === 'defaults') {
          const loaded = await catalog.defaultsSnapshot();
          expect(document.defaults).toEqual({
            ...loaded,
            policies: byKey(loaded.policies, 'type'),
          });
          continue;
        }
        const { service, revision } = await catalog.findService(document.slug);
        expect(document.revision).toBe(revision);
        expect(JSON.stringify(document.service)).toBe(JSON.stringify(service));
        const { snapshot } = await catalog.serviceSnapshot(document.slug);
        expect(document.snapshot).toEqual({
          ...snapshot!,
          policies: byKey(snapshot!.policies, 'type', 'env'),
          config: byKey(snapshot!.config, 'env', 'key'),
        });
      }
    });

    it('applies the events around a rejected one and records the rejection with its reason', async () => {
      const repository = new ProjectionRepository(env.db);
      const events = [
        register('delta'),
        anEvent('service.updated', { slug: 'delta', tier: 3 }, { expectedVersion: 7 }),
        anEvent('service.updated', { slug: 'delta', tier: 2 }),
      ];
      const { outcomes } = await repository.applyBatch({ events });
      expect(outcomes.map((o) => o.status)).toEqual(['applied', 'rejected', 'applied']);
      const { service, revision } = await new CatalogRepository(env.db).findService('delta');
      expect(service).toMatchObject({ tier: 2, version: 2 });
      expect(revision).toBe(2);
      const rejected = await env.db
        .selectFrom('processed_events')
        .selectAll()
        .where('id', '=', events[1].id)
        .executeTakeFirstOrThrow();
      expect(rejected).toMatchObject({
        status: 'rejected',
        code: 'conflict',
        reason: expect.stringMatching(/version 1/),
      });
      // Delivered again: no second effect, and the first verdict to announce again.
      const again = await repository.applyBatch({ events: [events[1]] });
      expect(again.outcomes).toEqual([{ status: 'duplicate' }]);
      expect(again.earlier.get(events[1].id)).toEqual({
        status: 'rejected',
        code: 'conflict',
        reason: rejected.reason,
      });
    });

    it('records dead letters and feed messages once, however often the batch is delivered', async () => {
      const repository = new ProjectionRepository(env.db);
      const badId = randomUUID();
      const batch = {
        events: [register('epsilon')],
        deadLetters: [
          {
            eventId: badId,
            reason: 'invalid envelope: type',
            partition: 2,
            offset: '41',
            key: 'service:epsilon',
            payload: Buffer.from('{}'),
            headers: { 'x-request-id': 'r-1' },
            outbox: { topic: 'dlq', key: 'service:epsilon', value: Buffer.from('{}') },
          },
        ],
        feed: () => ({ topic: 'changes', key: 'service:epsilon', value: 'changed' }),
      };
      await repository.applyBatch(batch);
      const again = await repository.applyBatch(batch);
      expect(again.outcomes).toEqual([{ status: 'duplicate' }]);
      expect(again.earlier.get(batch.events[0].id)).toEqual({ status: 'applied', version: 1 });
      expect(await env.db.selectFrom('dead_letters').selectAll().execute()).toEqual([
        expect.objectContaining({
          event_id: badId,
          original_partition: 2,
          original_offset: '41',
          headers: { 'x-request-id': 'r-1' },
        }),
      ]);
      expect(
        (await env.db.selectFrom('outbox_messages').select('topic').orderBy('seq').execute()).map(
          (m) => m.topic,
        ),
      ).toEqual(['changes', 'dlq']);
      expect(
        await env.db
          .selectFrom('processed_events')
          .select('status')
          .where('id', '=', badId)
          .executeTakeFirst(),
      ).toEqual({ status: 'dead-lettered' });
    });

    it('backs off while a replay holds the projections', async () => {
      const repository = new ProjectionRepository(env.db);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const taken = new Promise<void>((r) => (locked = r));
      const replay = env.db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${projectionLockKey})`.execute(trx);
        locked();
        await held;
      });
      await taken;
      await expect(repository.applyBatch({ events: [register('zeta')] })).rejects.toBeInstanceOf(
        ProjectionsRebuilding,
      );
      release();
      await replay;
      expect((await repository.applyBatch({ events: [register('zeta')] })).outcomes[0].status).toBe(
        'applied',
      );
    });
  });

  describe(ProjectionRebuild.name, () => {
    it('rebuilds the same state from the same events and leaves it untouched when it fails', async () => {
      const events = aScenario();
      await new ProjectionRepository(env.db).applyBatch({ events });
      const rebuild = new ProjectionRebuild(env.db);
      const before = await rebuild.checksum();

      const after = await rebuild.run(async (session) => {
        await session.reset();
        expect((await session.checksum()).tables.services.rows).toBe(0);
        await session.apply({ events: events.slice(0, 20) });
        await session.apply({ events: events.slice(20) });
        return session.checksum();
      });
      expect(after.tables).toEqual(before.tables);
      expect(after.digest).toBe(before.digest);

      await expect(
        rebuild.run(async (session) => {
          await session.reset();
          throw new Error('broker gone');
        }),
      ).rejects.toThrow('broker gone');
      expect((await rebuild.checksum()).digest).toBe(before.digest);
    });
  });
});
