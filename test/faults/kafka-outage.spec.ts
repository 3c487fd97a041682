import { TestEnvironment } from '../support/test-environment.js';
import { PrivateKafka } from '../support/private-kafka.js';
import { WardenClient } from '../support/http-client.js';
import { eventually } from '../support/eventually.js';
import { createKafka } from '#messaging/kafka-client';
import { ensureTopics } from '#messaging/topic-admin';
import type { AppProcess } from '../support/app-process.js';
import {
  Apps,
  CounterWriters,
  appliedCount,
  expectAppliedExactlyOnceInOrder,
  isAlive,
  WHOLE_HISTORY,
} from './fault-helpers.js';

describe('fault: the Kafka broker is stopped (a private broker, never the machine’s own)', () => {
  let env: TestEnvironment;
  let kafka: PrivateKafka;
  const apps = new Apps();
  let api: AppProcess;
  let worker: AppProcess;

  beforeAll(async () => {
    env = await TestEnvironment.create('kafka-outage');
    kafka = await PrivateKafka.start();
    await ensureTopics(
      createKafka({ clientId: 'kafka-outage', brokers: [kafka.brokers] }),
      env.topics,
    );
    ({ api, worker } = await apps.both(
      env.processEnv({ KAFKA_BROKERS: kafka.brokers, LOG_LEVEL: 'warn', ...WHOLE_HISTORY }),
    ));
  }, 120_000);

  afterAll(async () => {
    await apps.stopAll();
    await kafka?.dispose();
    await env?.dispose();
  });

  it('answers 503 with Retry-After while it is away, loses no accepted write and recovers without restarts', async () => {
    const writers = await CounterWriters.register(new WardenClient(api.baseUrl), 5);
    writers.start(Infinity, { pauseMs: 20 });
    try {
      await eventually(() => expect(writers.accepted.length).toBeGreaterThanOrEqual(100), {
        timeoutMs: 30_000,
      });
      await kafka.stop();
      await eventually(() => expect(writers.refused).toBeGreaterThanOrEqual(10), {
        timeoutMs: 60_000,
      });
      const acceptedWhileDown = writers.accepted.length;
      await kafka.resume();
      // The same processes accept and apply again once the broker answers.
      await eventually(
        () => expect(writers.accepted.length).toBeGreaterThanOrEqual(acceptedWhileDown + 100),
        {
          timeoutMs: 90_000,
          intervalMs: 250,
        },
      );
    } finally {
      await writers.stop();
    }

    expect(writers.unexpected).toEqual([]);
    expect(writers.refusedWithoutRetryAfter).toBe(0);
    const ids = writers.accepted.map((w) => w.eventId);
    await eventually(async () => expect(await appliedCount(env.db, ids)).toBe(ids.length), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    // Every accepted write applied once and in order; a refused write may not be (`phantoms`
    // counts refused writes that reached the log anyway: a 503 promises nothing either way).
    const { phantoms } = await expectAppliedExactlyOnceInOrder(env.db, writers);
    expect(phantoms).toBeLessThanOrEqual(writers.refused);
    expect([isAlive(api), isAlive(worker)]).toEqual([true, true]);
  }, 300_000);
});
