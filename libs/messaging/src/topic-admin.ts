import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import { EVENTS_PARTITIONS, type TopicNames } from './topics.js';

/**
 * Three replicas once the cluster has three brokers, of which two must hold a write before
 * `acks=all` acknowledges it: one broker may die without losing an accepted event or
 * stopping writes. A single development broker keeps one replica.
 */
export function replicationFor(brokerCount: number): { factor: number; minInSync: number } {
  const factor = Math.min(3, Math.max(1, brokerCount));
  return { factor, minInSync: factor >= 3 ? 2 : 1 };
}

/** Creates the contract's topics if missing; the event log is kept forever for replay. */
export async function ensureTopics(kafka: Kafka, topics: TopicNames): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const replication = replicationFor(brokers.length);
    const existing = new Set(await admin.listTopics());
    const wanted = [
      {
        topic: topics.Events,
        numPartitions: EVENTS_PARTITIONS,
        // The broker's clock dates each event (see envelope-reader.ts), not the producer's.
        extra: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      },
      { topic: topics.DeadLetters, numPartitions: 1 },
      { topic: topics.Changes, numPartitions: EVENTS_PARTITIONS },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      await createTopicsWithLeaders(
        admin,
        wanted.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: replication.factor,
          configEntries: [
            { name: 'retention.ms', value: '-1' },
            { name: 'min.insync.replicas', value: String(replication.minInSync) },
            ...(('extra' in t && t.extra) || []),
          ],
        })),
      );
    }
    return wanted.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics and resolves once every partition has a leader. kafkajs's own
 * `waitForLeaders` gives up on the first `UNKNOWN_TOPIC_OR_PARTITION` that a broker
 * answers while it is still loading a new topic (seen on a busy machine), so the wait is
 * ours: metadata is asked again until the leaders are known or `timeoutMs` has passed.
 */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: ITopicConfig[],
  timeoutMs = 60_000,
): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics });
  const deadline = Date.now() + timeoutMs;
  const names = topics.map((t) => t.topic);
  for (;;) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: names });
      const led = described.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (led) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`no leaders for ${names.join(', ')} in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
