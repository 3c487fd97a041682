import type { Kafka } from 'kafkajs';
import { EVENTS_PARTITIONS, type TopicNames } from './topics.js';

/** Creates the contract's topics if missing; the event log is kept forever for replay. */
export async function ensureTopics(kafka: Kafka, topics: TopicNames): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      { topic: topics.Events, numPartitions: EVENTS_PARTITIONS },
      { topic: topics.DeadLetters, numPartitions: 1 },
      { topic: topics.Changes, numPartitions: EVENTS_PARTITIONS },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({
          ...t,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '-1' }],
        })),
      });
    }
    return wanted.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
