import { TestEnvironment } from '../support/test-environment.js';
import { WardenClient } from '../support/http-client.js';
import { anEnvelope, aService } from '../support/builders.js';
import { eventually } from '../support/eventually.js';
import type { AppProcess } from '../support/app-process.js';
import {
  Apps,
  CounterWriters,
  appliedCount,
  counterHistory,
  expectAppliedExactlyOnceInOrder,
  logLines,
  WHOLE_HISTORY,
} from './fault-helpers.js';

const SERVICES = 60;
const CHANGES = 30_000;

describe('fault: workers stop (SIGTERM) and join while a backlog is applied; the API stops under load', () => {
  let env: TestEnvironment;
  const apps = new Apps();
  let api: AppProcess;
  let admin: WardenClient;

  beforeAll(async () => {
    env = await TestEnvironment.create('shutdown');
    api = await apps.start('api', env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY }));
    admin = new WardenClient(api.baseUrl).as('admin');
  });

  afterAll(async () => {
    await apps.stopAll();
    await env?.dispose();
  });

  async function processed(): Promise<number> {
    const row = await env.db
      .selectFrom('processed_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function committedOffsets(): Promise<number> {
    const kafkaAdmin = env.kafka.admin();
    await kafkaAdmin.connect();
    try {
      const [topic] = await kafkaAdmin.fetchOffsets({
        groupId: `${env.namespace}.warden-worker`,
        topics: [env.topics.Events],
      });
      return topic.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await kafkaAdmin.disconnect();
    }
  }

  async function members(): Promise<number[][]> {
    const report = await admin.get('/admin/consumers');
    expect(report.status).toBe(200);
    return (report.body.members as { partitions: number[] }[]).map((m) => m.partitions);
  }

  it('finishes the batch in flight, commits it and leaves the group; workers share the partitions and a rebalance loses and doubles nothing', async () => {
    const slugs = Array.from({ length: SERVICES }, () => String(aService().slug));
    const messages = slugs.map((slug) => ({
      key: `service:${slug}`,
      value: JSON.stringify(anEnvelope('service.registered', aService({ slug }))),
    }));
    for (let i = 0; i < CHANGES; i++) {
      const slug = slugs[i % SERVICES];
      messages.push({
        key: `service:${slug}`,
        value: JSON.stringify(
          anEnvelope('config.set', {
            slug,
            env: 'prod',
            key: 'counter',
            value: Math.floor(i / SERVICES),
          }),
        ),
      });
    }
    const producer = env.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.send({
        topic: env.topics.Events,
        acks: -1,
        messages: messages.slice(i, i + 2000),
      });
    }
    await producer.disconnect();

    const first = await apps.start(
      'worker',
      env.processEnv({ LOG_LEVEL: 'info', ...WHOLE_HISTORY }),
    );
    await eventually(async () => expect(await processed()).toBeGreaterThanOrEqual(3000), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(await apps.stop(first)).toBe(0);
    // Graceful: everything it applied is committed, so nothing is delivered twice.
    expect(await committedOffsets()).toBe(await processed());
    expect(await processed()).toBeLessThan(messages.length);
    // In this order: the run in flight finishes and is committed, the member leaves the
    // group, then the outbox is flushed (the pool is still open for it), then the process ends.
    const lines = logLines(first).map((l) => l.msg);
    const order = [
      'worker stopping',
      'stopping: finishing the batch in flight',
      'offsets committed; left the consumer group',
      'outbox flushed',
      'worker stopped',
    ].map((msg) => lines.indexOf(msg));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The flush came after the last commit: nothing of the applied batches is left owed.
    const owed = await env.db
      .selectFrom('outbox_messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(owed.n)).toBe(0);

    const [second, third] = await Promise.all([
      apps.start('worker', env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY })),
      apps.start('worker', env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY })),
    ]);
    await eventually(async () => {
      const owned = await members();
      expect(owned).toHaveLength(2);
      expect(owned.every((partitions) => partitions.length === 3)).toBe(true);
      expect(owned.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    });
    await eventually(
      async () => expect(await processed()).toBeGreaterThanOrEqual(messages.length * 0.6),
      {
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    expect(await apps.stop(second)).toBe(0);
    await eventually(async () => expect(await members()).toEqual([[0, 1, 2, 3, 4, 5]]), {
      timeoutMs: 30_000,
    });
    await eventually(async () => expect(await processed()).toBe(messages.length), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });

    // Nothing lost, nothing doubled: one audit entry per event, every history in order.
    const audit = await env.db
      .selectFrom('audit_log')
      .select((eb) => [
        eb.fn.countAll<string>().as('entries'),
        eb.fn.count<string>('event_id').distinct().as('events'),
      ])
      .executeTakeFirstOrThrow();
    expect([Number(audit.entries), Number(audit.events)]).toEqual([
      messages.length,
      messages.length,
    ]);
    for (const entries of (await counterHistory(env.db, slugs)).values()) {
      expect(entries.map((e) => e.value)).toEqual(entries.map((_, v) => v));
    }
    expect(third.pid).toBeGreaterThan(0);
  }, 240_000);

  it('answers every write it accepted before stopping, and those writes are applied', async () => {
    const worker = await apps.start(
      'worker',
      env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY }),
    );
    const stopping = await apps.start(
      'api',
      env.processEnv({ LOG_LEVEL: 'warn', ...WHOLE_HISTORY }),
    );
    const writers = await CounterWriters.register(new WardenClient(stopping.baseUrl), 20);
    writers.start();
    await eventually(() => expect(writers.accepted.length).toBeGreaterThanOrEqual(300), {
      timeoutMs: 30_000,
    });
    await apps.stop(stopping);
    await writers.stop();

    // After SIGTERM a write is refused (503) or finds the port closed; none fails otherwise.
    expect(writers.unexpected).toEqual([]);
    const ids = writers.accepted.map((w) => w.eventId);
    await eventually(async () => expect(await appliedCount(env.db, ids)).toBe(ids.length), {
      timeoutMs: 60_000,
    });
    expect((await expectAppliedExactlyOnceInOrder(env.db, writers)).phantoms).toBe(0);
    expect(worker.pid).toBeGreaterThan(0);
  }, 120_000);
});
