import { TestEnvironment } from '../../../test/support/test-environment.js';
import { eventually } from '../../../test/support/eventually.js';
import { EventPublisher } from './event-publisher.js';
import { EventConsumer, PermanentFailure, type IncomingMessage } from './event-consumer.js';
import { consumerGroup } from './topics.js';

describe('producer and consumer on a real Kafka broker', () => {
  let env: TestEnvironment;
  let publisher: EventPublisher;

  beforeAll(async () => {
    env = await TestEnvironment.create('messaging');
    publisher = new EventPublisher(env.kafka);
    await publisher.connect();
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await env?.dispose();
  });

  it('delivers concurrent publishes in order per key, retries a transient failure in place and sets poison aside', async () => {
    const seen: { key: string; value: string }[] = [];
    const poisoned: string[] = [];
    let failuresLeft = 2;
    const consumer = new EventConsumer(
      env.kafka,
      { groupId: consumerGroup(env.namespace), topic: env.topics.Events, maxBackoffMs: 200 },
      {
        handle: async (message: IncomingMessage) => {
          const value = message.value!.toString();
          if (value === 'poison') throw new PermanentFailure('not an event');
          if (value === 'a-3' && failuresLeft > 0) {
            failuresLeft--;
            throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          }
          seen.push({ key: message.key!, value });
        },
        isTransient: (error) => (error as { code?: string }).code === 'ECONNREFUSED',
        onPoison: async (message) => {
          poisoned.push(message.value!.toString());
        },
      },
    );
    await consumer.start();
    try {
      const sends = [];
      for (let i = 1; i <= 5; i++) {
        sends.push(
          publisher.publish({ topic: env.topics.Events, key: 'service:a', value: `a-${i}` }),
        );
        sends.push(
          publisher.publish({ topic: env.topics.Events, key: 'service:b', value: `b-${i}` }),
        );
      }
      sends.push(
        publisher.publish({ topic: env.topics.Events, key: 'service:a', value: 'poison' }),
      );
      sends.push(
        publisher.publish({ topic: env.topics.Events, key: 'service:a', value: 'a-after' }),
      );
      await Promise.all(sends);

      await eventually(() => expect(seen).toHaveLength(11), { timeoutMs: 30_000 });
      const forKey = (key: string) => seen.filter((m) => m.key === key).map((m) => m.value);
      expect(forKey('service:a')).toEqual(['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-after']);
      expect(forKey('service:b')).toEqual(['b-1', 'b-2', 'b-3', 'b-4', 'b-5']);
      expect(failuresLeft).toBe(0);
      expect(poisoned).toEqual(['poison']);
    } finally {
      await consumer.stop();
    }

    // Everything was committed: the group's offsets reach the end of every partition.
    const admin = env.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: consumerGroup(env.namespace),
        topics: [env.topics.Events],
      });
      const ends = await admin.fetchTopicOffsets(env.topics.Events);
      for (const end of ends) {
        const mine = committed.partitions.find((p) => p.partition === end.partition)!;
        if (end.high !== '0') expect(mine.offset).toBe(end.high);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('goes on applying the other partitions while one partition waits for its handler', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    const applied: { value: string; partition: number }[] = [];
    const consumer = new EventConsumer(
      env.kafka,
      { groupId: `${consumerGroup(env.namespace)}.lanes`, topic: env.topics.Events },
      {
        handle: async (message: IncomingMessage) => {
          const value = message.value!.toString();
          if (!value.startsWith('lane-')) return;
          if (value === 'lane-slow') {
            started.push(message.partition);
            await gate;
          }
          applied.push({ value, partition: message.partition });
        },
        isTransient: () => false,
        onPoison: async () => undefined,
      },
    );
    await consumer.start();
    try {
      await publisher.publish({ topic: env.topics.Events, key: 'service:a', value: 'lane-slow' });
      await eventually(() => expect(started).toHaveLength(1), { timeoutMs: 30_000 });
      // Published once the slow message is being handled: a later fetch has to bring it.
      await publisher.publish({ topic: env.topics.Events, key: 'service:c', value: 'lane-fast' });
      await eventually(() => expect(applied.map((m) => m.value)).toEqual(['lane-fast']), {
        timeoutMs: 30_000,
      });
      expect(applied[0].partition).not.toBe(started[0]);
      release();
      await eventually(() => expect(applied).toHaveLength(2), { timeoutMs: 30_000 });
    } finally {
      release();
      await consumer.stop();
    }
  });

  it('refuses to publish to a broker that is not there, promptly', async () => {
    const { createKafka } = await import('./kafka-client.js');
    const nowhere = new EventPublisher(
      createKafka({ clientId: 'nowhere', brokers: ['127.0.0.1:1'] }),
      { sendTimeoutMs: 1500 },
    );
    await expect(
      nowhere.publish({ topic: env.topics.Events, key: 'k', value: 'v' }),
    ).rejects.toThrow(/did not acknowledge/);
  });
});
