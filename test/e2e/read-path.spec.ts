import { sql } from 'kysely';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT } from '../support/http-client.js';
import { aService, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';

/**
 * The read path across two API instances and one worker: single flight, negative
 * caching, read-your-own-insert, cross-instance invalidation, the admin endpoints and
 * a randomized workload audited against PostgreSQL.
 */
describe('read path, end to end (two api instances, one worker)', () => {
  let env: TestEnvironment;
  let api: AppProcess;
  let other: AppProcess;
  let worker: AppProcess;
  let client: WardenClient;
  let otherClient: WardenClient;

  const redisKey = (kind: 'svc' | 'snap', slug: string) =>
    `warden:${env.namespace}:${kind}:{${slug}}`;
  const loads = async (c: WardenClient): Promise<number> => {
    const stats = await c.as('admin').get('/admin/cache/stats');
    expect(stats.status).toBe(200);
    return stats.body.db.loads as number;
  };
  const register = async (overrides: Record<string, unknown> = {}) => {
    const service = aService(overrides);
    const created = await client.post('/v1/services', service, WAIT);
    expect(created.status).toBe(201);
    return String(service.slug);
  };

  beforeAll(async () => {
    env = await TestEnvironment.create('read-path');
    const processEnv = env.processEnv({ LOG_LEVEL: 'warn' });
    [api, other, worker] = await Promise.all([
      AppProcess.start('api', processEnv),
      AppProcess.start('api', processEnv),
      AppProcess.start('worker', processEnv),
    ]);
    client = new WardenClient(api.baseUrl);
    otherClient = new WardenClient(other.baseUrl);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), other?.stop(), worker?.stop()]);
    await env?.dispose();
  });

  describe('stampede and penetration', () => {
    it('answers 200 concurrent GETs of a cold service with one PostgreSQL query', async () => {
      const slug = await register();
      await env.redis.del(redisKey('svc', slug));
      const before = await loads(client);
      const reader = client.as('reader');
      const answers = await Promise.all(
        Array.from({ length: 200 }, () => reader.get(`/v1/services/${slug}`)),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(new Set(answers.map((a) => a.headers.get('etag')))).toEqual(new Set(['"1"']));
      expect((await loads(client)) - before).toBe(1);
    });

    it('answers 200 concurrent GETs of a cold effective view with one PostgreSQL query', async () => {
      const warm = await register();
      expect((await client.get(`/v1/services/${warm}/effective?env=prod`)).status).toBe(200);
      const slug = await register();
      await env.redis.del(redisKey('snap', slug));
      const before = await loads(client);
      const answers = await Promise.all(
        Array.from({ length: 200 }, () =>
          client.as('reader').get(`/v1/services/${slug}/effective?env=prod`),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect((await loads(client)) - before).toBe(1);
    });

    it('hammering absent slugs causes at most one PostgreSQL query per slug', async () => {
      const absent = Array.from({ length: 20 }, () => uniqueSlug('ghost'));
      const before = await loads(client);
      const reader = client.as('reader');
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          absent.flatMap((slug) =>
            Array.from({ length: 10 }, () => reader.get(`/v1/services/${slug}`)),
          ),
        );
        expect(new Set(answers.map((a) => a.status))).toEqual(new Set([404]));
      }
      expect((await loads(client)) - before).toBeLessThanOrEqual(absent.length);
    });

    it('reads a slug created after a negative lookup at once after Prefer: wait, on every instance', async () => {
      const service = aService();
      const slug = String(service.slug);
      expect((await client.get(`/v1/services/${slug}`)).status).toBe(404);
      expect((await otherClient.get(`/v1/services/${slug}`)).status).toBe(404);
      expect((await client.get(`/v1/services/${slug}/effective?env=prod`)).status).toBe(404);

      expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
      expect((await client.get(`/v1/services/${slug}`)).status).toBe(200);
      expect((await client.get(`/v1/services/${slug}/effective?env=prod`)).status).toBe(200);
      await eventually(
        async () => expect((await otherClient.get(`/v1/services/${slug}`)).status).toBe(200),
        {
          timeoutMs: 10_000,
        },
      );
    });
  });

  describe('consistency across instances', () => {
    it('shows a change on every instance right after the writer was told it is applied', async () => {
      const slug = await register({ name: 'Before' });
      for (const c of [client, otherClient]) {
        expect((await c.get(`/v1/services/${slug}`)).body.name).toBe('Before');
        expect((await c.get(`/v1/services/${slug}/effective?env=prod`)).body.service.name).toBe(
          'Before',
        );
      }
      expect((await client.patch(`/v1/services/${slug}`, { name: 'After' }, WAIT)).status).toBe(
        200,
      );
      expect((await client.get(`/v1/services/${slug}`)).body.name).toBe('After');
      expect((await client.get(`/v1/services/${slug}/effective?env=prod`)).body.service.name).toBe(
        'After',
      );
      await eventually(
        async () => {
          expect((await otherClient.get(`/v1/services/${slug}`)).body.name).toBe('After');
          expect(
            (await otherClient.get(`/v1/services/${slug}/effective?env=prod`)).body.service.name,
          ).toBe('After');
        },
        { timeoutMs: 10_000 },
      );
    });

    it('holds a change in Redis by the time its announcement reaches a subscriber', async () => {
      const slug = await register({ name: 'Announced 0' });
      const aggregate = `service:${slug}`;
      const subscriber = env.redis.duplicate();
      const seenInRedis: { announced: number; inRedis: number }[] = [];
      subscriber.on('message', (_channel, payload: string) => {
        const parsed = JSON.parse(payload) as { aggregate: string; revision?: number }[];
        for (const outcome of [parsed].flat()) {
          if (outcome.aggregate !== aggregate || outcome.revision === undefined) continue;
          const announced = outcome.revision;
          // Read at once, on a connection of its own: what a reader woken by it would find.
          void env.redis
            .hget(redisKey('svc', slug), 'r')
            .then((r) => seenInRedis.push({ announced, inRedis: Number(r) }));
        }
      });
      await subscriber.subscribe(`warden:${env.namespace}:outcomes`);
      try {
        for (let n = 1; n <= 5; n++) {
          const changed = await client.patch(`/v1/services/${slug}`, { name: `Announced ${n}` });
          expect(changed.status).toBe(202);
        }
        await eventually(() => expect(seenInRedis).toHaveLength(5), { timeoutMs: 10_000 });
        for (const { announced, inRedis } of seenInRedis)
          expect(inRedis).toBeGreaterThanOrEqual(announced);
      } finally {
        subscriber.disconnect();
      }
    });

    it('keeps a deleted service gone in both tiers, with a tombstone in Redis', async () => {
      const slug = await register();
      expect((await otherClient.get(`/v1/services/${slug}`)).status).toBe(200);
      expect((await client.delete(`/v1/services/${slug}`, WAIT)).status).toBe(204);
      expect((await client.get(`/v1/services/${slug}`)).status).toBe(404);
      await eventually(
        async () => expect((await otherClient.get(`/v1/services/${slug}`)).status).toBe(404),
        {
          timeoutMs: 10_000,
        },
      );
      expect(await env.redis.hgetall(redisKey('svc', slug))).toEqual({ r: '2', d: '' });
    });

    it('answers effective views from memory exactly as the controller does', async () => {
      const slug = await register();
      const path = `/v1/services/${slug}/effective?env=prod`;
      const first = await client.as('reader').get(path);
      expect(first.status).toBe(200);
      const hitsBefore = (await client.as('admin').get('/admin/cache/stats')).body.l1
        .hits as number;

      const again = await client.as('reader').get(path);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(again.headers.get('x-request-id')).toEqual(expect.any(String));
      expect(again.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(
        (await client.as('reader').get(path, { 'if-none-match': first.headers.get('etag')! }))
          .status,
      ).toBe(304);
      expect(
        (await client.as('admin').get('/admin/cache/stats')).body.l1.hits,
      ).toBeGreaterThanOrEqual(hitsBefore + 2);

      expect((await client.as('none').get(path)).status).toBe(401);
      expect((await new WardenClient(api.baseUrl, 'not-a-token').get(path)).status).toBe(401);
      expect((await client.as('reader').get(`${path}&unknown=1`)).status).toBe(400);
      expect((await client.as('reader').get(`/v1/services/${slug}/effective?env=*`)).status).toBe(
        400,
      );
      expect((await client.as('reader').get(`/v1/services/${slug}/effective`)).status).toBe(400);
      expect((await client.as('reader').request('HEAD', path)).status).toBe(200);
    });

    it('sends no stale header while PostgreSQL is up', async () => {
      const slug = await register();
      const read = await client.get(`/v1/services/${slug}/effective?env=prod`);
      expect(read.headers.get('x-warden-stale')).toBeNull();
      expect(read.headers.get('warning')).toBeNull();
    });
  });

  describe('admin', () => {
    const admin = () => client.as('admin');

    it('reports hit ratio and size per tier, to admins only', async () => {
      expect((await client.as('reader').get('/admin/cache/stats')).status).toBe(403);
      const stats = await admin().get('/admin/cache/stats');
      expect(stats.body).toMatchObject({
        l1: {
          enabled: true,
          policy: 'lru',
          entries: expect.any(Number),
          bytes: expect.any(Number),
          hitRatio: expect.any(Number),
        },
        l2: {
          enabled: true,
          reachable: true,
          circuitOpen: false,
          keys: expect.any(Number),
          hitRatio: expect.any(Number),
        },
        db: { loads: expect.any(Number), reachable: true },
      });
      expect(stats.body.l1.hits).toBeGreaterThan(0);
    });

    it('counts hits and misses per tier on /metrics', async () => {
      const metrics = await admin().get('/metrics');
      expect(metrics.body).toMatch(/warden_cache_hits_total\{tier="l1",app="api"\} [1-9]/);
      expect(metrics.body).toMatch(/warden_cache_misses_total\{tier="l2",app="api"\} [1-9]/);
      expect(metrics.body).toMatch(/warden_cache_hits_total\{tier="db",app="api"\} [1-9]/);
    });

    it('finds a change made behind the caches, and an invalidation repairs Redis and every instance', async () => {
      const slug = await register({ name: 'Cached' });
      for (const c of [client, otherClient])
        expect((await c.get(`/v1/services/${slug}`)).body.name).toBe('Cached');
      // A change that bypassed the events: no revision moved, nobody was told.
      await sql`update services set name = 'Behind' where slug = ${slug}`.execute(env.db);
      const audit = await admin().get('/admin/consistency');
      expect(audit.status).toBe(200);
      expect(audit.body.staleKeys).toEqual(
        expect.arrayContaining([redisKey('svc', slug), redisKey('snap', slug)]),
      );
      expect(audit.body.local.staleKeys).toContain(redisKey('svc', slug));

      const invalidated = await admin().post('/admin/cache/invalidate', {
        aggregate: `service:${slug}`,
      });
      expect(invalidated.status).toBe(200);
      expect(invalidated.body).toEqual({
        invalidated: `service:${slug}`,
        instances: 2,
        redisKeysRewritten: 2,
      });
      expect((await client.get(`/v1/services/${slug}`)).body.name).toBe('Behind');
      await eventually(
        async () =>
          expect((await otherClient.get(`/v1/services/${slug}`)).body.name).toBe('Behind'),
        {
          timeoutMs: 10_000,
        },
      );
      const after = await admin().get('/admin/consistency');
      expect(after.body.staleKeys).not.toContain(redisKey('svc', slug));
    });

    it('flushes every instance memory with { all: true } and refuses a body that says neither or both', async () => {
      const flushed = await admin().post('/admin/cache/invalidate', { all: true });
      expect(flushed.body).toEqual({ invalidated: 'all', instances: 2, redisKeysRewritten: 0 });
      await eventually(async () => {
        const stats = await otherClient.as('admin').get('/admin/cache/stats');
        expect(stats.body.l1.entries).toBe(0);
      });
      for (const body of [
        {},
        { all: true, aggregate: 'service:abc' },
        { aggregate: 'nonsense' },
        { all: false },
      ]) {
        const refused = await admin().post('/admin/cache/invalidate', body);
        expect(refused.status).toBe(400);
        expect(refused.headers.get('content-type')).toContain('application/problem+json');
      }
      expect(
        (await client.as('writer').post('/admin/cache/invalidate', { all: true })).status,
      ).toBe(403);
    });

    it('rebuilds Redis from PostgreSQL after Redis lost everything', async () => {
      const slugs = [await register(), await register()];
      const keys = await env.redis.keys(`warden:${env.namespace}:*`);
      await env.redis.del(...keys.filter((k) => /:(svc|snap|defaults)/.test(k)));
      const rebuilt = await admin().post('/admin/cache/rebuild', {});
      expect(rebuilt.status).toBe(200);
      expect(rebuilt.body).toMatchObject({ failed: 0, keysNewer: 0 });
      expect(rebuilt.body.keysWritten).toBeGreaterThanOrEqual(2 * slugs.length + 1);
      for (const slug of slugs) expect(await env.redis.hget(redisKey('snap', slug), 'r')).toBe('1');
      const audit = await admin().get('/admin/consistency');
      expect(audit.body).toMatchObject({ stale: 0, missing: 0 });
    });

    it('audits a random sample of the size asked for, and refuses a sample that is not a positive integer', async () => {
      const sampled = await admin().get('/admin/consistency?sample=3');
      expect(sampled.status).toBe(200);
      expect(sampled.body.checked).toBeLessThanOrEqual(3);
      expect(sampled.body.checked).toBeGreaterThan(0);
      for (const bad of ['0', '-1', 'many']) {
        expect((await admin().get(`/admin/consistency?sample=${bad}`)).status).toBe(400);
      }
    });
  });

  describe('a randomized workload', () => {
    /** mulberry32: a small seeded generator, so that a failing run can be replayed. */
    function random(seed: number) {
      return () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    it('of writes, reads and API restarts ends with the caches equal to PostgreSQL', async () => {
      const seed = Number(process.env.READ_PATH_SEED ?? Date.now() % 100_000);
      const next = random(seed);
      const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
      const slugs = Array.from({ length: 12 }, () => uniqueSlug('mix'));
      const envs = ['prod', 'staging'];
      const write = (slug: string): Promise<unknown> => {
        const roll = next();
        if (roll < 0.2) return client.post('/v1/services', aService({ slug }));
        if (roll < 0.4)
          return client.patch(`/v1/services/${slug}`, { name: `n${Math.floor(next() * 1000)}` });
        if (roll < 0.5) return client.delete(`/v1/services/${slug}`);
        if (roll < 0.7) {
          return client.put(
            `/v1/services/${slug}/config/${pick(envs)}/k${Math.floor(next() * 3)}`,
            { value: next() },
          );
        }
        if (roll < 0.85) {
          return client.put(`/v1/services/${slug}/policies/rate-limit`, {
            env: pick(['*', ...envs]),
            enabled: next() < 0.8,
            spec: { requestsPerSecond: 1 + Math.floor(next() * 100), burst: 10 },
          });
        }
        return client.put('/v1/policies/quota', {
          enabled: true,
          spec: { limit: 1 + Math.floor(next() * 1000), period: 'day' },
        });
      };
      const read = (c: WardenClient, slug: string) =>
        next() < 0.5
          ? c.get(`/v1/services/${slug}`)
          : c.get(`/v1/services/${slug}/effective?env=${pick(envs)}`);

      for (const slug of slugs) await client.post('/v1/services', aService({ slug }), WAIT);
      for (let round = 0; round < 6; round++) {
        const operations: Promise<unknown>[] = [];
        for (let i = 0; i < 40; i++) {
          const slug = pick(slugs);
          operations.push(
            next() < 0.35 ? write(slug) : read(next() < 0.5 ? client : otherClient, slug),
          );
        }
        await Promise.all(operations);
        if (round === 1 || round === 3) {
          await other.stop();
          other = await AppProcess.start('api', env.processEnv({ LOG_LEVEL: 'warn' }));
          otherClient = new WardenClient(other.baseUrl);
        }
      }
      // Reads after the last write, so that every instance holds something to audit.
      await Promise.all(slugs.flatMap((slug) => [read(client, slug), read(otherClient, slug)]));

      for (const c of [client, otherClient]) {
        await eventually(
          async () => {
            const audit = await c.as('admin').get('/admin/consistency');
            expect({ seed, ...audit.body, durationMs: 0 }).toMatchObject({
              seed,
              stale: 0,
              missing: 0,
              local: { stale: 0, missing: 0 },
            });
            expect(audit.body.checked).toBeGreaterThan(0);
          },
          { timeoutMs: 10_000, intervalMs: 250 },
        );
      }
    });
  });
});
