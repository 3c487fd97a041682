import { ReadinessProbe } from './readiness.js';
import type { Database } from '#persistence/database';
import type { RedisConnection } from '#caching/redis-client';
import type { KafkaAdminClient } from '#messaging/kafka-admin';

/** A probe over counting fakes; `clock.now` is moved by hand. */
function aProbe(kafkaUp = true) {
  const calls = { kafka: 0, redis: 0 };
  const clock = { now: 10_000 };
  const kafka = {
    reachable: async () => {
      calls.kafka++;
      return kafkaUp;
    },
  } as unknown as KafkaAdminClient;
  const redis = {
    ping: async () => {
      calls.redis++;
      return 'PONG';
    },
  } as unknown as RedisConnection;
  // Kysely's sql`…`.execute(db) runs db.getExecutor().executeQuery(…).
  const db = {
    getExecutor: () => ({
      transformQuery: (node: unknown) => node,
      compileQuery: () => ({ sql: 'select 1', parameters: [] }),
      executeQuery: async () => ({ rows: [{ '?column?': 1 }] }),
    }),
  } as unknown as Database;
  const probe = new ReadinessProbe(db, redis, kafka, () => clock.now);
  return { probe, calls, clock };
}

describe(ReadinessProbe.name, () => {
  describe('current', () => {
    it('answers every caller within a second from one computation', async () => {
      const { probe, calls, clock } = aProbe();
      const answers = await Promise.all(Array.from({ length: 50 }, () => probe.current()));
      clock.now += 999;
      answers.push(await probe.current());
      expect(answers.every((a) => a.ready)).toBe(true);
      expect(calls).toEqual({ kafka: 1, redis: 1 });
    });

    it('computes again once the second has passed', async () => {
      const { probe, calls, clock } = aProbe();
      await probe.current();
      clock.now += 1000;
      await probe.current();
      expect(calls).toEqual({ kafka: 2, redis: 2 });
    });

    it('is not ready without Kafka, and says which check failed', async () => {
      const { probe } = aProbe(false);
      expect(await probe.current()).toEqual({
        ready: false,
        checks: { kafka: 'down', postgres: 'up', redis: 'up' },
      });
    });
  });
});
