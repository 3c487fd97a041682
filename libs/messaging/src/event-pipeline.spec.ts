import type { ConsumerEndBatchProcessEvent, ConsumerStartBatchProcessEvent } from 'kafkajs';
import { KAFKA_BROKERS, TestEnvironment } from '../../../test/support/test-environment.js';
import { eventually } from '../../../test/support/eventually.js';
import { EventPublisher } from './event-publisher.js';
import {
  EventConsumer,
  PermanentFailure,
  type ConsumerHooks,
  type IncomingMessage,
} from './event-consumer.js';
import { createKafka } from './kafka-client.js';
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

  it('applies as one run the batches of a partition fetched while its lane is busy, without holding up the fetch', async () => {
    const groupId = `${consumerGroup(env.namespace)}.join`;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runs: string[][] = [];
    // The topic holds the earlier tests' messages too: a run is recorded by its own.
    const applied = async (messages: IncomingMessage[]) => {
      const values = messages.map((m) => m.value!.toString()).filter((v) => v.startsWith('jn-'));
      if (values.includes('jn-1')) await gate;
      if (values.length > 0) runs.push(values);
    };
    const consumer = new EventConsumer(
      env.kafka,
      { groupId, topic: env.topics.Events },
      {
        handle: (message: IncomingMessage) => applied([message]),
        handleBatch: (messages: IncomingMessage[]) => applied(messages),
        isTransient: () => false,
        onPoison: async () => undefined,
      },
    );
    const returned: bigint[] = [];
    consumer.on(consumer.events.END_BATCH_PROCESS, (e: ConsumerEndBatchProcessEvent) => {
      if (e.payload.partition === 0) returned.push(BigInt(e.payload.lastOffset));
    });
    const producer = env.kafka.producer();
    await producer.connect();
    /** Sends one message to partition 0 and waits until the consumer was handed it and returned. */
    const handedOut = async (value: string) => {
      const [sent] = await producer.send({
        topic: env.topics.Events,
        acks: -1,
        messages: [{ partition: 0, value }],
      });
      const offset = BigInt(sent.baseOffset!);
      await eventually(() => expect(returned.some((o) => o >= offset)).toBe(true), {
        timeoutMs: 30_000,
      });
    };
    try {
      await consumer.start();
      // jn-1 applies (held), jn-2 waits behind it; jn-3 and jn-4, each fetched on its own,
      // join jn-2 instead of stopping kafkajs's fetch loop until the lane has room.
      for (const value of ['jn-1', 'jn-2', 'jn-3', 'jn-4']) await handedOut(value);
      release();
      await eventually(() => expect(runs.flat()).toHaveLength(4), { timeoutMs: 30_000 });
      expect(runs).toEqual([['jn-1'], ['jn-2', 'jn-3', 'jn-4']]);
    } finally {
      release();
      await consumer.stop();
      await producer.disconnect();
    }
  });

  it.each([
    ['merges them into one run', 500, true],
    ['leaves them apart when they are not small beside maxBatchSize', 10, false],
  ])(
    'with runsInFlight, of the runs of other partitions that arrive during a busy apply, %s; each in order',
    async (_, maxBatchSize, merges) => {
      const groupId = `${consumerGroup(env.namespace)}.merge-${maxBatchSize}`;
      // Each case reads the topic from the start: its messages carry its own prefix.
      const tag = `merge${maxBatchSize}-`;
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let gated = false;
      const calls: { partition: number; value: string }[][] = [];
      const applyRun = async (run: IncomingMessage[]) => {
        const mine = run
          .map((m) => ({ partition: m.partition, value: m.value!.toString() }))
          .filter((m) => m.value.startsWith(tag));
        if (mine.some((m) => m.value === `${tag}first`)) {
          gated = true;
          await gate;
        }
        if (mine.length > 0) calls.push(mine);
      };
      const consumer = new EventConsumer(
        env.kafka,
        { groupId, topic: env.topics.Events, runsInFlight: 1, maxBatchSize },
        {
          handle: (message) => applyRun([message]),
          handleBatch: (run) => applyRun(run),
          isTransient: () => false,
          onPoison: async () => undefined,
        },
      );
      const handedOut = new Set<number>();
      consumer.on(consumer.events.START_BATCH_PROCESS, (e: ConsumerStartBatchProcessEvent) => {
        if (e.payload.partition > 0 && e.payload.batchSize > 0) handedOut.add(e.payload.partition);
      });
      const producer = env.kafka.producer();
      await producer.connect();
      const send = (partition: number, ...values: string[]) =>
        producer.send({
          topic: env.topics.Events,
          acks: -1,
          messages: values.map((value) => ({ partition, value })),
        });
      await consumer.start();
      try {
        await send(0, `${tag}first`);
        await eventually(() => expect(gated).toBe(true), { timeoutMs: 30_000 });
        for (let partition = 1; partition < 6; partition++) {
          await send(partition, `${tag}${partition}-a`, `${tag}${partition}-b`);
        }
        // Every partition's batch was handed out; its run then waits behind the gated one.
        await eventually(() => expect([...handedOut].sort()).toEqual([1, 2, 3, 4, 5]), {
          timeoutMs: 30_000,
          intervalMs: 20,
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        release();
        await eventually(() => expect(calls.flat()).toHaveLength(11), { timeoutMs: 30_000 });
        const merged = calls.filter((call) => new Set(call.map((m) => m.partition)).size > 1);
        if (merges) {
          expect(merged.length).toBeGreaterThan(0);
          expect(calls.length).toBeLessThan(6);
        } else {
          expect(merged).toEqual([]);
        }
        for (let partition = 1; partition < 6; partition++) {
          const values = calls
            .flat()
            .filter((m) => m.partition === partition)
            .map((m) => m.value);
          expect(values).toEqual([`${tag}${partition}-a`, `${tag}${partition}-b`]);
        }
      } finally {
        release();
        await consumer.stop();
        await producer.disconnect();
      }
    },
  );

  it('applies in full a partition that keeps its place through a rebalance while its lane holds batches not applied', async () => {
    const groupId = `${consumerGroup(env.namespace)}.rebalance`;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const applied = new Set<string>();
    const hooks: ConsumerHooks = {
      handle: async (message: IncomingMessage) => {
        const value = message.value!.toString();
        if (!value.startsWith('rb-')) return;
        if (value === 'rb-1') {
          gated = true;
          await gate;
        }
        applied.add(value);
      },
      isTransient: () => false,
      onPoison: async () => undefined,
    };
    // One message a run: the heartbeat after rb-1's run is the one that meets the
    // rebalance, with rb-2 behind it in its batch, rb-3 in the batch queued behind, and
    // rb-4 in a batch that waits for room in the lane.
    const first = new EventConsumer(
      env.kafka,
      { groupId, topic: env.topics.Events, maxBatchSize: 1 },
      hooks,
    );
    const handed: { partition: number; lastOffset: string; returned: boolean }[] = [];
    first.on(first.events.START_BATCH_PROCESS, (e: ConsumerStartBatchProcessEvent) => {
      handed.push({
        partition: e.payload.partition,
        lastOffset: e.payload.lastOffset,
        returned: false,
      });
    });
    first.on(first.events.END_BATCH_PROCESS, (e: ConsumerEndBatchProcessEvent) => {
      handed.push({
        partition: e.payload.partition,
        lastOffset: e.payload.lastOffset,
        returned: true,
      });
    });
    let lastHeartbeat = Date.now();
    first.on(first.events.HEARTBEAT, () => (lastHeartbeat = Date.now()));
    // The round-robin assigner gives partition 0 to the member whose id sorts first.
    const second = new EventConsumer(
      createKafka({ clientId: 'zz-second', brokers: KAFKA_BROKERS }),
      { groupId, topic: env.topics.Events },
      hooks,
    );
    const producer = env.kafka.producer();
    await producer.connect();
    const toPartition0 = async (...values: string[]) => {
      const [sent] = await producer.send({
        topic: env.topics.Events,
        acks: -1,
        messages: values.map((value) => ({ partition: 0, value })),
      });
      return BigInt(sent.baseOffset!) + BigInt(values.length - 1);
    };
    const reached = (offset: bigint, returned: boolean) =>
      handed.some(
        (h) => h.partition === 0 && h.returned === returned && BigInt(h.lastOffset) >= offset,
      );
    const kafkaAdmin = env.kafka.admin();
    await kafkaAdmin.connect();
    let joining: Promise<void> | undefined;
    try {
      await first.start();
      await toPartition0('rb-1', 'rb-2');
      await eventually(() => expect(gated).toBe(true), { timeoutMs: 30_000 });
      const third = await toPartition0('rb-3');
      await eventually(() => expect(reached(third, true)).toBe(true), { timeoutMs: 30_000 });
      const fourth = await toPartition0('rb-4');
      await eventually(() => expect(reached(fourth, false)).toBe(true), { timeoutMs: 30_000 });
      joining = second.start();
      await eventually(
        async () => {
          const { groups } = await kafkaAdmin.describeGroups([groupId]);
          expect(groups[0].state).toBe('PreparingRebalance');
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      // kafkajs sends a heartbeat at most once a second (heartbeatInterval): the one
      // after rb-1's run has to go out to meet the rebalance.
      await eventually(() => expect(Date.now() - lastHeartbeat).toBeGreaterThan(1100), {
        timeoutMs: 5000,
        intervalMs: 50,
      });
      release();
      await joining;
      await eventually(
        () => expect([...applied].sort()).toEqual(['rb-1', 'rb-2', 'rb-3', 'rb-4']),
        {
          timeoutMs: 30_000,
        },
      );
    } finally {
      release();
      await joining?.catch(() => undefined);
      await Promise.all([first.stop(), second.stop()]);
      await producer.disconnect();
      await kafkaAdmin.disconnect();
    }
  });

  it('refuses to publish to a broker that is not there, promptly', async () => {
    const nowhere = new EventPublisher(
      createKafka({ clientId: 'nowhere', brokers: ['127.0.0.1:1'] }),
      { sendTimeoutMs: 1500 },
    );
    await expect(
      nowhere.publish({ topic: env.topics.Events, key: 'k', value: 'v' }),
    ).rejects.toThrow(/did not acknowledge/);
  });
});
