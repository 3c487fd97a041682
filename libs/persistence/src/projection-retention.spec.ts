import { randomBytes } from 'node:crypto';
import { TestEnvironment } from '../../../test/support/test-environment.js';
import { ProjectionRepository } from './projection.repository.js';
import { ProjectionRebuild } from './projection-rebuild.js';
import type { DomainEvent } from '#domain/event-validation';
import { anEvent as domainEvent } from '#domain/governance.test-helpers';

const anEvent = (type: DomainEvent['type'], data: Record<string, unknown>): DomainEvent =>
  domainEvent(type, data as never);
const aSlug = () => `svc-${randomBytes(3).toString('hex')}`;
const register = (slug: string) =>
  anEvent('service.registered', {
    slug,
    name: `Svc ${slug}`,
    owner: 'team-a',
    tier: 1,
    lifecycle: 'production',
  });

/** What the projections keep and drop: the audit through a rebuild, history beyond its cap. */
describe('retention of the audit and the history', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await TestEnvironment.create('retention');
  });

  afterAll(async () => {
    await env?.dispose();
  });

  describe(ProjectionRebuild.name, () => {
    it('keeps the audit as it was and adds entries only for events no worker had applied', async () => {
      const slug = aSlug();
      const applied = [
        register(slug),
        anEvent('config.set', { slug, env: 'prod', key: 'k', value: 1 }),
      ];
      const lagging = anEvent('config.set', { slug, env: 'prod', key: 'k', value: 2 });
      await new ProjectionRepository(env.db).applyBatch({ events: applied });
      const audit = () => env.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      const before = await audit();

      await new ProjectionRebuild(env.db).run(async (session) => {
        await session.reset();
        await session.apply({ events: [...applied, lagging] });
      });
      const after = await audit();
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.slice(before.length).map((row) => row.event_id)).toEqual([lagging.id]);
    });
  });

  describe('the versions cap', () => {
    it('keeps the newest versions of an entry, also when one batch writes past the cap', async () => {
      const slug = aSlug();
      const set = (value: number) => anEvent('config.set', { slug, env: 'prod', key: 'k', value });
      const projection = new ProjectionRepository(env.db);
      const limits = { maxEntriesPerEnv: 10, maxVersionsPerKey: 2 };
      const kept = async () =>
        (
          await env.db
            .selectFrom('config_history')
            .select(['version', 'value'])
            .where('slug', '=', slug)
            .orderBy('version')
            .execute()
        ).map((row) => [row.version, row.value]);

      await projection.applyBatch({
        events: [register(slug), set(1), set(2), set(3), set(4), set(5)],
        limits,
      });
      expect(await kept()).toEqual([
        [4, 4],
        [5, 5],
      ]);
      await projection.applyBatch({ events: [set(6)], limits });
      expect(await kept()).toEqual([
        [5, 5],
        [6, 6],
      ]);
    });
  });
});
