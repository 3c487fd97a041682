import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { sql } from 'kysely';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '#config/warden-config';
import { createRedis, type RedisConnection } from '#caching/redis-client';
import { VersionedRedisStore } from '#caching/versioned-redis.store';
import { createDatabase, type Database } from '#persistence/database';
import { migrateToLatest } from '#persistence/migrator';
import { createKafka } from '#messaging/kafka-client';
import { ensureTopics } from '#messaging/topic-admin';
import { topicNames, type TopicNames } from '#messaging/topics';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/warden';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES ?? '';

/**
 * The Redis the apps use: `REDIS_CLUSTER_NODES` (a Redis Cluster) when set, else
 * `REDIS_URL`; resolves once connected (the client queues no command before that).
 */
export async function benchRedis(name: string): Promise<RedisConnection> {
  const redis = createRedis(loadConfig({ REDIS_URL, REDIS_CLUSTER_NODES }), name);
  if (redis.status !== 'ready') await once(redis, 'ready');
  return redis;
}

export interface Envelope {
  type: string;
  aggregate: string;
  data: Record<string, unknown>;
}

/**
 * A benchmark's own slice of the running infrastructure: a PostgreSQL schema, a Redis
 * key prefix and topics under a `bench-…` namespace, removed again by `dispose()`.
 */
export class BenchEnvironment {
  readonly namespace: string;
  readonly schema: string;
  readonly topics: TopicNames;
  readonly db: Database;
  private readonly kafka: Kafka;

  private constructor(label: string) {
    const id = randomBytes(3).toString('hex');
    this.namespace = `bench-${label}-${id}`;
    this.schema = `bench_${label.replace(/-/g, '_')}_${id}`;
    this.topics = topicNames(this.namespace);
    this.db = createDatabase({ url: DATABASE_URL, schema: this.schema, poolSize: 2 });
    this.kafka = createKafka({ clientId: `bench-${label}`, brokers: KAFKA_BROKERS.split(',') });
  }

  static async create(label: string): Promise<BenchEnvironment> {
    const env = new BenchEnvironment(label);
    await migrateToLatest(env.db, env.schema);
    await ensureTopics(env.kafka, env.topics);
    return env;
  }

  /** The environment of an api or worker process working in this slice. */
  processEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL,
      REDIS_URL,
      KAFKA_BROKERS,
      ...(REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES } : {}),
      WARDEN_NAMESPACE: this.namespace,
      DATABASE_SCHEMA: this.schema,
      WORKER_PORT: '0',
      LOG_LEVEL: 'warn',
      // The worker's group commit (a knob that trades throughput for latency), to compare.
      ...(process.env.WORKER_RUNS_IN_FLIGHT
        ? { WORKER_RUNS_IN_FLIGHT: process.env.WORKER_RUNS_IN_FLIGHT }
        : {}),
      ...extra,
    };
  }

  /** Publishes envelopes straight to the events topic, as an outside producer may. */
  async publish(envelopes: Envelope[]): Promise<void> {
    const producer = this.kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      for (let i = 0; i < envelopes.length; i += 1000) {
        await producer.send({
          topic: this.topics.Events,
          acks: -1,
          messages: envelopes.slice(i, i + 1000).map((e) => ({
            key: e.aggregate,
            value: JSON.stringify({
              id: randomUUID(),
              type: e.type,
              aggregate: e.aggregate,
              actor: 'bench',
              occurredAt: new Date().toISOString(),
              schemaVersion: 1,
              data: e.data,
            }),
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }
  }

  /** Resolves once the worker has applied `count` events; fails on the first one it did not apply. */
  async applied(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await sql<{ n: number; refused: string | null }>`
        select count(*)::int as n,
               min(case when status <> 'applied' then type || ': ' || coalesce(reason, status) end) as refused
        from processed_events`.execute(this.db);
      if (rows[0].refused)
        throw new Error(`the worker did not apply a seed event (${rows[0].refused})`);
      if (rows[0].n >= count) return;
      if (Date.now() > deadline)
        throw new Error(`only ${rows[0].n} of ${count} events applied in time`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async dispose(): Promise<void> {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(this.schema)} CASCADE`
      .execute(this.db)
      .catch(() => undefined);
    await this.db.destroy();
    const redis = await benchRedis('bench-cleanup');
    try {
      const store = new VersionedRedisStore(redis);
      for await (const keys of store.scan(`warden:${this.namespace}:*`, 1000)) {
        await store.remove(keys);
      }
    } finally {
      redis.disconnect();
    }
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await admin.disconnect();
  }
}
