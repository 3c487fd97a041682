/** The write-path bench's apps, topics and database, and the envelopes it pre-fills. */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kafka } from 'kafkajs';
import { createKafka } from '#messaging/kafka-client';
import { createTopicsWithLeaders, replicationFor } from '#messaging/topic-admin';
import { SIGNATURE_HEADER, signatureOf } from '#messaging/envelope-signature';
import type { RedisConnection } from '#caching/redis-client';
import type { BenchContext } from '../suite.js';
import type { BenchEnvironment } from './bench-environment.js';
import { BenchProcess } from './bench-process.js';

export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const WRITER = { authorization: 'Bearer dev-writer', 'content-type': 'application/json' };
export const ADMIN = { authorization: 'Bearer dev-admin' };
export const SERVICES = 200;
/** Set: the worker of the apply phase writes a CPU profile there (`worker-apply.cpuprofile`). */
export const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/**
 * The propagation writer's connections: enough that a write seldom waits for one at
 * 500 writes/s (each may take 500 ms), and fewer than the API's listen queue holds
 * (Node's 511), so that all of them opened at once while the API stalls are queued by
 * the kernel, not reset.
 */
export const PROPAGATION_CONNECTIONS = 256;
const flagsOf = (variable: string | undefined) => (variable ?? '').split(' ').filter(Boolean);
/** Extra node flags for the worker (an experiment's, e.g. `--max-semi-space-size=64`). */
export const WORKER_NODE_ARGS = flagsOf(process.env.BENCH_WORKER_NODE_ARGS);
/** Extra node flags for the APIs of the write path. */
export const API_NODE_ARGS = flagsOf(process.env.BENCH_API_NODE_ARGS);
/**
 * Set: each propagation round is recorded by `perf record -e cpu-clock -a -g` into this
 * folder, every app started with `--perf-basic-prof` so that its JavaScript has names.
 */
export const PERF_DIR = process.env.BENCH_PERF_DIR;

/** The key the bench's apps sign with; the apply backlog is signed with it as the API signs. */
export const SIGNING_KEY = 'bench-signing-key-of-at-least-32-characters';

export function envelope(
  type: string,
  slug: string,
  data: Record<string, unknown>,
  signed = false,
): { key: string; value: string; headers?: Record<string, string> } {
  const value = JSON.stringify({
    id: randomUUID(),
    type,
    aggregate: `service:${slug}`,
    actor: 'bench',
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
    data: { slug, ...data },
  });
  return {
    key: `service:${slug}`,
    value,
    ...(signed ? { headers: { [SIGNATURE_HEADER]: signatureOf(value, SIGNING_KEY) } } : {}),
  };
}

export const slugOf = (i: number) => `svc-${i % SERVICES}`;

/** The suite's pieces of infrastructure beside the shared bench environment. */
export class WriteBench {
  readonly kafka: Kafka = createKafka({ clientId: 'bench-write-path', brokers: KAFKA_BROKERS });
  readonly redis: RedisConnection;
  /** Where the bare producer writes, so that its messages never become the worker's backlog. */
  readonly bareTopic: string;
  private readonly running = new Set<BenchProcess>();

  constructor(
    readonly env: BenchEnvironment,
    private readonly context: BenchContext,
    redis: RedisConnection,
  ) {
    this.redis = redis;
    this.bareTopic = `${env.namespace}.bare-producer`;
  }

  /** `profile`: a CPU profile of the process (`node --cpu-prof`), written when it stops. */
  async start(app: 'api' | 'worker', profile?: string): Promise<BenchProcess> {
    const entry = path.join(this.context.root, 'dist', `apps/${app}/src/main.js`);
    const nodeArgs = [
      ...(profile
        ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profile}.cpuprofile`]
        : []),
      ...(app === 'worker' ? WORKER_NODE_ARGS : API_NODE_ARGS),
      ...(PERF_DIR ? ['--perf-basic-prof'] : []),
    ];
    const started =
      app === 'api'
        ? await BenchProcess.start(
            entry,
            this.env.processEnv({ WARDEN_SIGNING_KEY: SIGNING_KEY }),
            '/admin/health/ready',
            'PORT',
            nodeArgs,
          )
        : await BenchProcess.start(
            entry,
            this.env.processEnv({ WARDEN_SIGNING_KEY: SIGNING_KEY }),
            '/health/ready',
            'WORKER_PORT',
            nodeArgs,
          );
    this.running.add(started);
    return started;
  }

  async stop(app: BenchProcess): Promise<void> {
    this.running.delete(app);
    await app.stop();
  }

  async prepare(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    // As many replicas as the events topic, so that the bare producer's acks=all costs the same.
    const replication = replicationFor((await admin.describeCluster()).brokers.length);
    await createTopicsWithLeaders(admin, [
      {
        topic: this.bareTopic,
        numPartitions: 6,
        replicationFactor: replication.factor,
        configEntries: [{ name: 'min.insync.replicas', value: String(replication.minInSync) }],
      },
    ]);
    await admin.disconnect();
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.running].map((p) => p.stop()));
    this.redis.disconnect();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [this.bareTopic] }).catch(() => undefined);
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(this.env.namespace));
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }

  async produce(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
    }
    await producer.disconnect();
  }

  async processed(): Promise<number> {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM processed_events`.execute(
      this.env.db,
    );
    return Number(rows[0].n);
  }

  /**
   * Resolves once the worker has processed every message the events topic holds and
   * relayed its change feed, so that a measurement is not shared with a backlog.
   */
  async caughtUp(timeoutMs: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.env.topics.Events);
    await admin.disconnect();
    const total = ends.reduce((sum, p) => sum + Number(p.high), 0);
    const deadline = Date.now() + timeoutMs;
    const outbox = async () =>
      Number(
        (await sql<{ n: string }>`SELECT count(*) AS n FROM outbox_messages`.execute(this.env.db))
          .rows[0].n,
      );
    while ((await this.processed()) < total || (await outbox()) > 0) {
      if (Date.now() > deadline) throw new Error('the worker did not catch up with the backlog');
      await pause(100);
    }
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
