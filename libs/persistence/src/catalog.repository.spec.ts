import { randomUUID } from 'node:crypto';
import { TestEnvironment } from '../../../test/support/test-environment.js';
import { ProjectionRepository } from './projection.repository.js';
import { CatalogRepository } from './catalog.repository.js';
import { EventLogRepository } from './event-log.repository.js';
import type { DomainEvent } from '#domain/event-validation';

function anEvent<T extends DomainEvent['type']>(
  type: T,
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

const registration = (slug: string, extra: Record<string, unknown> = {}) =>
  anEvent('service.registered', {
    slug,
    name: 'Svc',
    owner: 'team-a',
    tier: 1,
    lifecycle: 'production',
    tags: ['edge'],
    ...extra,
  });

describe('persistence on a real PostgreSQL', () => {
  let env: TestEnvironment;
  let projection: ProjectionRepository;
  let catalog: CatalogRepository;
  let eventLog: EventLogRepository;

  beforeAll(async () => {
    env = await TestEnvironment.create('persistence');
    projection = new ProjectionRepository(env.db);
    catalog = new CatalogRepository(env.db);
    eventLog = new EventLogRepository(env.db);
  });

  afterAll(async () => {
    await env?.dispose();
  });

  describe(ProjectionRepository.name, () => {
    it('applies a registration with version 1, an audit entry and the event outcome', async () => {
      const event = registration('alpha');
      const outcome = await projection.apply(event);
      expect(outcome).toMatchObject({ status: 'applied', change: { version: 1, revision: 1 } });
      const { service, revision } = await catalog.findService('alpha');
      expect(service).toMatchObject({ slug: 'alpha', version: 1, tags: ['edge'] });
      expect(revision).toBe(1);
      expect(await eventLog.outcome(event.id)).toMatchObject({ status: 'applied', version: 1 });
      const [entry] = await eventLog.audit({ aggregate: 'service:alpha', limit: 10 });
      expect(entry).toMatchObject({
        eventId: event.id,
        actor: 'tester',
        before: null,
        after: { slug: 'alpha' },
      });
    });

    it('gives a re-delivered event no second effect', async () => {
      await projection.apply(registration('beta'));
      const patch = anEvent('service.updated', { slug: 'beta', tier: 3 });
      expect((await projection.apply(patch)).status).toBe('applied');
      expect(await projection.apply(patch)).toEqual({ status: 'duplicate' });
      const { service } = await catalog.findService('beta');
      expect(service).toMatchObject({ tier: 3, version: 2 });
      expect(await eventLog.audit({ aggregate: 'service:beta', limit: 10 })).toHaveLength(2);
    });

    it('rejects a stale expected version and leaves the state untouched', async () => {
      await projection.apply(registration('gamma'));
      const stale = anEvent(
        'service.updated',
        { slug: 'gamma', name: 'Renamed' },
        { expectedVersion: 5 },
      );
      expect(await projection.apply(stale)).toMatchObject({ status: 'rejected', code: 'conflict' });
      expect((await catalog.findService('gamma')).service?.name).toBe('Svc');
      expect(await eventLog.outcome(stale.id)).toMatchObject({
        status: 'rejected',
        reason: expect.stringMatching(/version 1/),
      });
    });

    it('rejects a second registration of a slug as a conflict', async () => {
      await projection.apply(registration('delta'));
      expect(await projection.apply(registration('delta'))).toMatchObject({
        status: 'rejected',
        code: 'conflict',
      });
    });

    it('rejects changes to a service that does not exist', async () => {
      const patch = anEvent('service.updated', { slug: 'nobody', tier: 0 });
      expect(await projection.apply(patch)).toMatchObject({
        status: 'rejected',
        code: 'not-found',
      });
    });

    it('deletes a service with its policies and configuration, keeping its revision growing', async () => {
      await projection.apply(registration('epsilon'));
      await projection.apply(
        anEvent('policy.set', {
          slug: 'epsilon',
          type: 'quota',
          env: '*',
          enabled: true,
          spec: { limit: 5, period: 'day' },
        }),
      );
      await projection.apply(
        anEvent('config.set', { slug: 'epsilon', env: 'prod', key: 'timeout', value: 30 }),
      );
      await projection.apply(anEvent('service.deleted', { slug: 'epsilon' }));
      expect(await catalog.findService('epsilon')).toEqual({ revision: 4 });
      expect(await catalog.listPolicies('epsilon')).toEqual([]);
      expect(await catalog.listConfig('epsilon', 'prod')).toEqual([]);
      const again = await projection.apply(registration('epsilon'));
      expect(again).toMatchObject({ status: 'applied', change: { version: 1, revision: 5 } });
    });
  });

  describe(CatalogRepository.name, () => {
    it('filters and pages the list in slug order', async () => {
      for (const slug of ['list-a', 'list-b', 'list-c']) {
        await projection.apply(
          registration(slug, { owner: 'team-list', tier: slug === 'list-b' ? 0 : 2 }),
        );
      }
      const first = await catalog.listServices({ owner: 'team-list', limit: 2 });
      expect(first.map((s) => s.slug)).toEqual(['list-a', 'list-b']);
      const second = await catalog.listServices({ owner: 'team-list', limit: 2, after: 'list-b' });
      expect(second.map((s) => s.slug)).toEqual(['list-c']);
      expect(
        (await catalog.listServices({ owner: 'team-list', tier: 0, limit: 10 })).map((s) => s.slug),
      ).toEqual(['list-b']);
      expect((await catalog.listServices({ q: 'LIST-C', limit: 10 })).map((s) => s.slug)).toEqual([
        'list-c',
      ]);
      expect(await catalog.listServices({ q: '%', limit: 10 })).toEqual([]);
    });
  });
});
