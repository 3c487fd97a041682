import { randomUUID } from 'node:crypto';
import { TestEnvironment } from '../../../test/support/test-environment.js';
import { ProjectionRepository } from './projection.repository.js';
import { CatalogRepository } from './catalog.repository.js';
import { GovernanceRepository } from './governance.repository.js';
import type { DomainEvent } from '#domain/event-validation';

function anEvent(
  type: DomainEvent['type'],
  data: Record<string, unknown>,
  extra: Partial<DomainEvent> = {},
): DomainEvent {
  return {
    id: randomUUID(),
    type,
    aggregate:
      type === 'default-policy.set'
        ? `defaults:${String(data.type)}`
        : `service:${String(data.slug)}`,
    actor: 'tester',
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
    data,
    ...extra,
  } as DomainEvent;
}

const registration = (slug: string) =>
  anEvent('service.registered', {
    slug,
    name: 'Svc',
    owner: 'team-a',
    tier: 1,
    lifecycle: 'production',
  });

describe('governance state on a real PostgreSQL', () => {
  let env: TestEnvironment;
  let projection: ProjectionRepository;
  let catalog: CatalogRepository;
  let governance: GovernanceRepository;

  const apply = async (event: DomainEvent) => {
    const outcome = await projection.apply(event);
    expect(outcome.status).toBe('applied');
    return outcome;
  };

  beforeAll(async () => {
    env = await TestEnvironment.create('governance-repo');
    projection = new ProjectionRepository(env.db);
    catalog = new CatalogRepository(env.db);
    governance = new GovernanceRepository(env.db);
  });

  afterAll(async () => {
    await env?.dispose();
  });

  describe('configuration history and rollback', () => {
    const key = { slug: 'rollback', env: 'prod', key: 'timeout' };

    beforeAll(async () => {
      await apply(registration('rollback'));
      await apply(anEvent('config.set', { ...key, value: 100, description: 'first' }));
      await apply(anEvent('config.set', { ...key, value: { ms: 250 } }));
    });

    it('rolls back by writing a new version whose value and description equal the old one', async () => {
      await apply(anEvent('config.rolled-back', { ...key, toVersion: 1 }));
      expect(await catalog.findConfig('rollback', 'prod', 'timeout')).toMatchObject({
        value: 100,
        description: 'first',
        version: 3,
      });
      const history = await catalog.configHistory('rollback', 'prod', 'timeout');
      expect(history.map((h) => [h.version, h.change, h.value])).toEqual([
        [3, 'rolled-back to 1', 100],
        [2, 'set', { ms: 250 }],
        [1, 'set', 100],
      ]);
    });

    it('rejects a rollback to a version the entry never had, changing nothing', async () => {
      const event = anEvent('config.rolled-back', { ...key, toVersion: 9 });
      expect(await projection.apply(event)).toMatchObject({
        status: 'rejected',
        code: 'rule',
        reason: 'config timeout (prod) of rollback has no version 9 to roll back to',
      });
      expect((await catalog.findConfig('rollback', 'prod', 'timeout'))?.version).toBe(3);
    });

    it('rejects a rollback whose expected version is stale', async () => {
      const event = anEvent('config.rolled-back', { ...key, toVersion: 2 }, { expectedVersion: 2 });
      expect(await projection.apply(event)).toMatchObject({ status: 'rejected', code: 'conflict' });
    });

    it('rejects a rollback of an entry of another environment, whose history is its own', async () => {
      const event = anEvent('config.rolled-back', { ...key, env: 'staging', toVersion: 1 });
      expect(await projection.apply(event)).toMatchObject({ status: 'rejected', code: 'rule' });
    });

    it('keeps the history of a deleted entry, continues its numbering and can roll back to it', async () => {
      await apply(anEvent('config.deleted', key));
      expect(await catalog.findConfig('rollback', 'prod', 'timeout')).toBeUndefined();
      await apply(anEvent('config.rolled-back', { ...key, toVersion: 2 }));
      expect(await catalog.findConfig('rollback', 'prod', 'timeout')).toMatchObject({
        value: { ms: 250 },
        version: 4,
      });
      await apply(anEvent('config.deleted', key));
      await apply(anEvent('config.set', { ...key, value: 1 }));
      expect((await catalog.findConfig('rollback', 'prod', 'timeout'))?.version).toBe(5);
    });

    it('rejects deleting an entry that does not exist', async () => {
      const event = anEvent('config.deleted', { ...key, key: 'never-set' });
      expect(await projection.apply(event)).toMatchObject({
        status: 'rejected',
        code: 'not-found',
      });
    });

    it('rejects configuration for a service that does not exist', async () => {
      const event = anEvent('config.set', { slug: 'ghost', env: 'prod', key: 'x', value: 1 });
      expect(await projection.apply(event)).toMatchObject({
        status: 'rejected',
        code: 'not-found',
        reason: 'service ghost does not exist',
      });
    });
  });

  describe(GovernanceRepository.name, () => {
    beforeAll(async () => {
      await apply(registration('holder'));
      await apply(
        anEvent('policy.set', {
          slug: 'holder',
          type: 'quota',
          env: 'prod',
          enabled: true,
          spec: { limit: 5, period: 'day' },
        }),
      );
      await apply(
        anEvent('policy.set', {
          slug: 'holder',
          type: 'quota',
          env: '*',
          enabled: false,
          spec: { limit: 1, period: 'hour' },
        }),
      );
      await apply(anEvent('config.set', { slug: 'holder', env: 'prod', key: 'b', value: 2 }));
      await apply(anEvent('config.set', { slug: 'holder', env: 'prod', key: 'a', value: 1 }));
      await apply(anEvent('config.set', { slug: 'holder', env: 'dev', key: 'a', value: 0 }));
    });

    it("lists a service's policies in type and environment order, tagged with its revision", async () => {
      const found = await governance.servicePolicies('holder');
      expect(found?.revision).toBe(6);
      expect(found?.items.map((p) => [p.type, p.env, p.version])).toEqual([
        ['quota', '*', 1],
        ['quota', 'prod', 1],
      ]);
    });

    it("lists one environment's configuration by key", async () => {
      const found = await governance.environmentConfig('holder', 'prod');
      expect(found?.items.map((c) => [c.key, c.value])).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
      expect((await governance.environmentConfig('holder', 'qa'))?.items).toEqual([]);
    });

    it('answers undefined for a service that does not exist, or no longer does', async () => {
      await apply(registration('gone'));
      await apply(anEvent('service.deleted', { slug: 'gone' }));
      for (const slug of ['nobody', 'gone']) {
        expect(await governance.servicePolicies(slug)).toBeUndefined();
        expect(await governance.environmentConfig(slug, 'prod')).toBeUndefined();
        expect(await governance.serviceRevision(slug)).toBeUndefined();
      }
    });

    it('gathers whole services, skipping the slugs that do not exist', async () => {
      const found = await governance.serviceHoldings(['holder', 'nobody']);
      expect([...found.keys()]).toEqual(['holder']);
      const holder = found.get('holder')!;
      expect(holder.service).toMatchObject({ slug: 'holder', version: 1 });
      expect(holder.policies).toHaveLength(2);
      expect(holder.config.map((c) => `${c.env}/${c.key}`)).toEqual(['dev/a', 'prod/a', 'prod/b']);
      expect(holder.revision).toBe(6);
      expect((await governance.serviceHoldings([])).size).toBe(0);
    });

    it('lists the global defaults with the revision of all defaults', async () => {
      const before = await governance.defaultPolicies();
      await apply(
        anEvent('default-policy.set', {
          type: 'rate-limit',
          spec: { requestsPerSecond: 5, burst: 0 },
        }),
      );
      await apply(
        anEvent('default-policy.set', {
          type: 'access',
          enabled: false,
          spec: { allow: [], deny: [] },
        }),
      );
      const after = await governance.defaultPolicies();
      expect(after.revision).toBe(before.revision + 2);
      expect(after.items.map((d) => [d.type, d.enabled])).toEqual([
        ['access', false],
        ['rate-limit', true],
      ]);
    });
  });
});
