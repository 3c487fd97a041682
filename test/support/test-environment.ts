import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import { createDatabase, type Database } from '#persistence/database';
import { migrateToLatest } from '#persistence/migrator';
import { createKafka } from '#messaging/kafka-client';
import { ensureTopics } from '#messaging/topic-admin';
import { topicNames, type TopicNames } from '#messaging/topics';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/warden';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** Servers of a suite's own (a private cluster) instead of the machine's Kafka and Redis. */
export interface OwnServers {
  kafkaBrokers: string;
  /** Makes the apps use this Redis Cluster (`REDIS_CLUSTER_NODES`); none: the machine's Redis. */
  redisClusterNodes?: string;
  /** Credentials for the brokers, for the suite's own client and the apps (`KAFKA_SASL_*`). */
  kafkaSasl?: {
    mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
    username: string;
    password: string;
  };
}

/**
 * One suite's private slice of the shared servers: its own PostgreSQL schema, Redis key
 * prefix, topics and consumer group, so suites never see each other's state.
 */
export class TestEnvironment {
  readonly namespace: string;
  readonly schema: string;
  readonly topics: TopicNames;
  readonly db: Database;
  readonly kafka: Kafka;
  readonly redis: Redis;

  private constructor(
    label: string,
    private readonly own?: OwnServers,
  ) {
    const id = randomBytes(4).toString('hex');
    this.namespace = `t-${label}-${id}`;
    this.schema = `t_${label.replace(/-/g, '_')}_${id}`;
    this.topics = topicNames(this.namespace);
    this.db = createDatabase({ url: DATABASE_URL, schema: this.schema, poolSize: 4 });
    this.kafka = createKafka({
      clientId: `test-${label}`,
      brokers: own ? own.kafkaBrokers.split(',') : KAFKA_BROKERS,
      ...(own?.kafkaSasl ? { security: { sasl: own.kafkaSasl } } : {}),
    });
    this.redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  static async create(label: string, own?: OwnServers): Promise<TestEnvironment> {
    const env = new TestEnvironment(label, own);
    await migrateToLatest(env.db, env.schema);
    await ensureTopics(env.kafka, env.topics);
    return env;
  }

  /** The environment variables that point an app process at this slice. */
  processEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL,
      REDIS_URL,
      KAFKA_BROKERS: this.own?.kafkaBrokers ?? KAFKA_BROKERS.join(','),
      ...(this.own?.redisClusterNodes ? { REDIS_CLUSTER_NODES: this.own.redisClusterNodes } : {}),
      ...(this.own?.kafkaSasl
        ? {
            KAFKA_SASL_MECHANISM: this.own.kafkaSasl.mechanism,
            KAFKA_SASL_USERNAME: this.own.kafkaSasl.username,
            KAFKA_SASL_PASSWORD: this.own.kafkaSasl.password,
          }
        : {}),
      WARDEN_NAMESPACE: this.namespace,
      DATABASE_SCHEMA: this.schema,
      WARDEN_TOKENS: 'reader:dev-reader,writer:dev-writer:alice,admin:dev-admin',
      LOG_LEVEL: 'info',
      ...extra,
    };
  }

  /** Publishes an envelope onto the suite's `governance.events`, as an outside producer would. */
  async produce(envelope: { aggregate: string }, headers?: Record<string, string>): Promise<void> {
    const producer = this.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: this.topics.Events,
      acks: -1,
      messages: [{ key: envelope.aggregate, value: JSON.stringify(envelope), headers }],
    });
    await producer.disconnect();
  }

  async dispose(): Promise<void> {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(this.schema)} CASCADE`
      .execute(this.db)
      .catch(() => undefined);
    await this.db.destroy();
    const keys = await this.redis.keys(`warden:${this.namespace}:*`).catch(() => [] as string[]);
    if (keys.length) await this.redis.del(...keys).catch(() => undefined);
    this.redis.disconnect();
    // Servers of the suite's own are thrown away with their topics.
    if (this.own) return;
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await admin.disconnect();
  }
}
