import { TestEnvironment } from '../support/test-environment.js';
import type { AppProcess } from '../support/app-process.js';
import { WardenClient } from '../support/http-client.js';
import { eventually } from '../support/eventually.js';
import {
  CounterWriters,
  appliedCount,
  expectAppliedExactlyOnceInOrder,
  staleCachedServices,
  Apps,
  WHOLE_HISTORY,
} from './fault-helpers.js';

const CLIENTS = 50;
const WRITES_PER_CLIENT = 100;

describe('fault: the worker is killed (SIGKILL) twice while 50 clients write 5,000 changes', () => {
  let env: TestEnvironment;
  const apps = new Apps();
  let api: AppProcess;
  let worker: AppProcess;

  beforeAll(async () => {
    env = await TestEnvironment.create('worker-killed');
    ({ api, worker } = await apps.both(env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY })));
  });

  afterAll(async () => {
    await apps.stopAll();
    await env?.dispose();
  });

  it('applies every accepted event exactly once, keeps the change feed complete and the caches consistent', async () => {
    const client = new WardenClient(api.baseUrl);
    const writers = await CounterWriters.register(client, CLIENTS);
    const total = CLIENTS * WRITES_PER_CLIENT;
    writers.start(WRITES_PER_CLIENT);

    for (const killAt of [total * 0.3, total * 0.6]) {
      await eventually(() => expect(writers.accepted.length).toBeGreaterThanOrEqual(killAt), {
        timeoutMs: 60_000,
      });
      await apps.stop(worker, 'SIGKILL');
      worker = await apps.start('worker', env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY }));
    }
    await writers.finished();
    const lastWrite = Date.now();

    expect(writers.unexpected).toEqual([]);
    expect(writers.accepted).toHaveLength(total);
    const ids = writers.accepted.map((w) => w.eventId);
    await eventually(async () => expect(await appliedCount(env.db, ids)).toBe(total), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });

    const { phantoms } = await expectAppliedExactlyOnceInOrder(env.db, writers);
    expect(phantoms).toBe(0);
    const versions = await env.db
      .selectFrom('config_entries')
      .select(['slug', 'version'])
      .where('slug', 'in', writers.slugs)
      .where('key', '=', 'counter')
      .execute();
    expect(versions.map((v) => v.version)).toEqual(versions.map(() => WRITES_PER_CLIENT));

    // Redis holds what PostgreSQL holds within 10 s of the last write, by the API's own
    // audit and by comparing revisions directly.
    const admin = client.as('admin');
    await eventually(
      async () => {
        expect(await staleCachedServices(env.redis, env.db, env.namespace, writers.slugs)).toEqual(
          [],
        );
        const report = await admin.get('/admin/consistency');
        expect(report.status).toBe(200);
        expect(report.body).toMatchObject({ stale: 0, missing: 0 });
        expect(report.body.checked).toBeGreaterThanOrEqual(CLIENTS * 2);
      },
      { timeoutMs: Math.max(1000, 10_000 - (Date.now() - lastWrite)), intervalMs: 250 },
    );

    // The change feed carries every applied change (at least once) despite the kills.
    const feed = new Set<string>();
    const consumer = env.kafka.consumer({
      groupId: `${env.namespace}.feed-reader`,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: env.topics.Changes, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        feed.add((JSON.parse(message.value!.toString()) as { eventId: string }).eventId);
      },
    });
    try {
      await eventually(() => expect(ids.filter((id) => !feed.has(id))).toEqual([]), {
        timeoutMs: 30_000,
        intervalMs: 250,
      });
    } finally {
      await consumer.disconnect();
    }
  }, 180_000);
});
