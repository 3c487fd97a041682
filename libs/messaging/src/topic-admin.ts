import type { Kafka } from 'kafkajs';
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
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: replication.factor,
          configEntries: [
            { name: 'retention.ms', value: '-1' },
            { name: 'min.insync.replicas', value: String(replication.minInSync) },
            ...(('extra' in t && t.extra) || []),
          ],
        })),
      });
    }
    return wanted.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
