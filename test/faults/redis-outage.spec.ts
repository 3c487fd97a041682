import { Redis } from 'ioredis';
import { TestEnvironment } from '../support/test-environment.js';
import { PrivateRedis } from '../support/private-servers.js';
import { WardenClient } from '../support/http-client.js';
import { eventually } from '../support/eventually.js';
import type { AppProcess } from '../support/app-process.js';
import {
  Apps,
  CounterWriters,
  appliedCount,
  expectAppliedExactlyOnceInOrder,
  isAlive,
  staleCachedServices,
  WHOLE_HISTORY,
} from './fault-helpers.js';

describe('fault: Redis is stopped', () => {
  let env: TestEnvironment;
  let redis: PrivateRedis;
  const apps = new Apps();
  let api: AppProcess;
  let worker: AppProcess;

  beforeAll(async () => {
    env = await TestEnvironment.create('redis-outage');
    redis = await PrivateRedis.start();
    ({ api, worker } = await apps.both(
      env.processEnv({ REDIS_URL: redis.url, LOG_LEVEL: 'warn', ...WHOLE_HISTORY }),
    ));
  });

  afterAll(async () => {
    await apps.stopAll();
    await redis?.dispose();
    await env?.dispose();
  });

  it('applies writes to PostgreSQL while Redis is away, and the caches catch up once it is back', async () => {
    const client = new WardenClient(api.baseUrl);
    const writers = await CounterWriters.register(client, 10);
    await redis.stop();
    writers.start(Infinity, { pauseMs: 20 });
    try {
      // A bound for a loaded machine, not a rate: 300 writes take seconds on a quiet one.
      await eventually(() => expect(writers.accepted.length).toBeGreaterThanOrEqual(300), {
        timeoutMs: 100_000,
      });
    } finally {
      await writers.stop();
    }
    expect(writers.unexpected).toEqual([]);
    const ids = writers.accepted.map((w) => w.eventId);
    await eventually(async () => expect(await appliedCount(env.db, ids)).toBe(ids.length), {
      timeoutMs: 30_000,
    });
    expect((await expectAppliedExactlyOnceInOrder(env.db, writers)).phantoms).toBe(0);

    await redis.resume();
    const cache = new Redis(redis.url);
    try {
      await eventually(
        async () =>
          expect(await staleCachedServices(cache, env.db, env.namespace, writers.slugs)).toEqual(
            [],
          ),
        { timeoutMs: 20_000, intervalMs: 250 },
      );
    } finally {
      cache.disconnect();
    }
    // Readers see the last write of every service through the API's caches.
    for (const slug of writers.slugs) {
      const last = Math.max(...writers.accepted.filter((w) => w.slug === slug).map((w) => w.value));
      await eventually(async () => {
        const view = await client.as('reader').get(`/v1/services/${slug}/effective?env=prod`);
        expect(view.body.config).toEqual({ counter: last });
      });
    }
    expect([isAlive(api), isAlive(worker)]).toEqual([true, true]);
  }, 300_000);
});
