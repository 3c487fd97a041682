import { createDatabase, type Database } from '#persistence/database';
import { migrateToLatest } from '#persistence/migrator';
import { TestEnvironment } from '../support/test-environment.js';
import { AppProcess } from '../support/app-process.js';
import { WardenClient, WAIT, type HttpResult } from '../support/http-client.js';
import { aService, uniqueSlug } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import { PrivatePostgres, PrivateRedis } from '../support/private-servers.js';

/**
 * The read path when a store goes away: the api and worker run against a Redis and a
 * PostgreSQL of this suite's own, which it stops and starts again.
 */
describe('read path when Redis or PostgreSQL stops (private servers)', () => {
  let env: TestEnvironment;
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let db: Database;
  let api: AppProcess;
  let worker: AppProcess;
  let client: WardenClient;

  const register = async (overrides: Record<string, unknown> = {}) => {
    const service = aService(overrides);
    expect((await client.post('/v1/services', service, WAIT)).status).toBe(201);
    return String(service.slug);
  };
  const isStale = (answer: HttpResult) =>
    answer.headers.get('x-warden-stale') === 'true' &&
    (answer.headers.get('warning') ?? '').startsWith('110');

  beforeAll(async () => {
    env = await TestEnvironment.create('read-faults');
    [redis, postgres] = await Promise.all([PrivateRedis.start(), PrivatePostgres.start()]);
    db = createDatabase({ url: postgres.url, schema: env.schema, poolSize: 2 });
    await migrateToLatest(db, env.schema);
    const processEnv = env.processEnv({
      REDIS_URL: redis.url,
      DATABASE_URL: postgres.url,
      LOG_LEVEL: 'warn',
    });
    [api, worker] = await Promise.all([
      AppProcess.start('api', processEnv),
      AppProcess.start('worker', processEnv),
    ]);
    client = new WardenClient(api.baseUrl);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.destroy();
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
    await env?.dispose();
  });

  it('answers 200 from memory and PostgreSQL while Redis is stopped, and sees changes meanwhile', async () => {
    const cached = await register({ name: 'Cached' });
    const uncached = await register();
    expect((await client.get(`/v1/services/${cached}`)).status).toBe(200);
    expect((await client.get(`/v1/services/${cached}/effective?env=prod`)).status).toBe(200);

    await redis.stop();
    try {
      const reader = client.as('reader');
      for (const path of [
        `/v1/services/${cached}`,
        `/v1/services/${cached}/effective?env=prod`,
        `/v1/services/${uncached}`,
        `/v1/services/${uncached}/effective?env=staging`,
      ]) {
        const answer = await reader.get(path);
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
        expect(isStale(answer)).toBe(false);
      }
      expect((await reader.get(`/v1/services/${uniqueSlug('ghost')}`)).status).toBe(404);
      const stats = await client.as('admin').get('/admin/cache/stats');
      expect(stats.body.l2).toMatchObject({ reachable: false, circuitOpen: true });

      // No invalidation can arrive without Redis, so memory is trusted only briefly:
      // a change applied meanwhile shows within about a second.
      expect((await client.patch(`/v1/services/${cached}`, { name: 'Changed' })).status).toBe(202);
      await eventually(
        async () => expect((await reader.get(`/v1/services/${cached}`)).body.name).toBe('Changed'),
        {
          timeoutMs: 10_000,
          intervalMs: 200,
        },
      );
      await eventually(
        async () =>
          expect(
            (await reader.get(`/v1/services/${cached}/effective?env=prod`)).body.service.name,
          ).toBe('Changed'),
        { timeoutMs: 5_000, intervalMs: 200 },
      );
    } finally {
      await redis.resume();
    }

    await eventually(
      async () => {
        const stats = await client.as('admin').get('/admin/cache/stats');
        expect(stats.body.l2).toMatchObject({ reachable: true, circuitOpen: false });
        expect((await client.get(`/v1/services/${cached}`)).body.name).toBe('Changed');
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
  });

  it('answers cached reads with 200 and the stale header while PostgreSQL is stopped', async () => {
    const inMemory = await register({ name: 'In memory' });
    expect((await client.get(`/v1/services/${inMemory}`)).status).toBe(200);
    expect((await client.get(`/v1/services/${inMemory}/effective?env=prod`)).status).toBe(200);
    // Written to Redis by the worker, never read by this api: only Redis holds it.
    const inRedis = await register({ name: 'In Redis' });

    await postgres.stop();
    try {
      const reader = client.as('reader');
      await eventually(
        async () => expect(isStale(await reader.get(`/v1/services/${inMemory}`))).toBe(true),
        {
          timeoutMs: 5_000,
          intervalMs: 100,
        },
      );
      for (const path of [
        `/v1/services/${inMemory}`,
        `/v1/services/${inMemory}/effective?env=prod`,
        `/v1/services/${inRedis}`,
      ]) {
        const answer = await reader.get(path);
        expect({ path, status: answer.status, stale: isStale(answer) }).toEqual({
          path,
          status: 200,
          stale: true,
        });
      }
      expect((await reader.get(`/v1/services/${inRedis}`)).body.name).toBe('In Redis');

      const unknown = await reader.get(`/v1/services/${uniqueSlug('never-seen')}`);
      expect(unknown.status).toBe(503);
      expect(unknown.headers.get('retry-after')).toBe('1');
      expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await postgres.resume();
    }

    await eventually(
      async () => {
        const answer = await client.get(`/v1/services/${inMemory}`);
        expect(answer.status).toBe(200);
        expect(isStale(answer)).toBe(false);
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
  });
});
