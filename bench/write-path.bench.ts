/**
 * The write path: how fast the worker applies a backlog, how fast the API accepts
 * writes, and how soon a write is visible through another API instance, each beside
 * what bare kafkajs does on the same broker.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import type { Kafka } from 'kafkajs';
import { createKafka } from '#messaging/kafka-client';
import type { BenchContext, BenchSuite, SuiteResult } from './suite.js';
import { createTopicsWithLeaders, replicationFor } from '#messaging/topic-admin';
import { SIGNATURE_HEADER, signatureOf } from '#messaging/envelope-signature';
import type { RedisConnection } from '#caching/redis-client';
import { BenchEnvironment, benchRedis } from './support/bench-environment.js';
import { BenchProcess } from './support/bench-process.js';
import { round } from './support/load.js';
import { profileMarkdown, summariseProfile } from './support/cpu-profile.js';
import { measurePropagation, type PropagationFigures } from './support/propagation.js';
import { cpuMarkdown, cpuShares, cpuSnapshot, type CpuShare } from './support/cpu-census.js';
import { quietRoundStart, type RoundStart } from './support/quiet.js';
import { attempt, failed, type FailedRound } from './support/round.js';
import {
  scrapeStages,
  stageDelta,
  stageQuantiles,
  stagesMarkdown,
  type StageQuantiles,
} from './support/write-stages.js';

const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const WRITER = { authorization: 'Bearer dev-writer', 'content-type': 'application/json' };
const ADMIN = { authorization: 'Bearer dev-admin' };
const SERVICES = 200;
const BACKLOG = Number(process.env.BENCH_WRITE_BACKLOG ?? 40_000);
/** Writes per second of each propagation run; 0 is one write at a time. */
const PROPAGATION_RATES = [200, 500, 0];
const SEQUENTIAL_WRITES = Number(process.env.BENCH_SEQUENTIAL_WRITES ?? 300);
/** Set: the worker of the apply phase writes a CPU profile there (`worker-apply.cpuprofile`). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Concurrent readers polling the second API instance during the propagation run. */
const READERS = 4;
/**
 * The propagation writer's connections: enough that a write seldom waits for one at
 * 500 writes/s (each may take 500 ms), and fewer than the API's listen queue holds
 * (Node's 511), so that all of them opened at once while the API stalls are queued by
 * the kernel, not reset.
 */
const PROPAGATION_CONNECTIONS = 256;
/**
 * BENCH_WRITE_QUICK=1: only the signed apply and the propagation runs, to iterate on
 * them; =apply: only the signed apply.
 */
const QUICK = ['1', 'apply'].includes(process.env.BENCH_WRITE_QUICK ?? '');
const APPLY_ONLY = process.env.BENCH_WRITE_QUICK === 'apply';
/** Extra node flags for the worker (an experiment's, e.g. `--max-semi-space-size=64`). */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);

interface ApplyFigures {
  events: number;
  eventsPerSecond: number;
  /** The worker's CPU time (user + system) per event applied: what load does not move. */
  workerCpuMicrosPerEvent: number;
  bareConsumerPerSecond: number;
  ratio: number;
}

interface AcceptFigures {
  connections: number;
  acceptedPerSecond: number;
  bareProducerPerSecond: number;
  ratio: number;
  failed: number;
}

type PropagationRound = PropagationFigures &
  RoundStart & { stages: StageQuantiles[]; cpu: CpuShare[] };
type PropagationRuns = (PropagationRound | (FailedRound & { writesPerSecond: number }))[];

/** Each round measured, or why it could not be: one failed round does not stop the others. */
interface WritePathFigures {
  apply: (ApplyFigures & RoundStart) | FailedRound;
  /** The same backlog of changes from an outside producer: unsigned, validated in full. */
  applyOutside?: (ApplyFigures & RoundStart) | FailedRound;
  /** Markdown of the worker's CPU profile of the apply phase (BENCH_PROFILE_DIR). */
  profile?: string;
  /** Absent in a quick run (BENCH_WRITE_QUICK). */
  accept?: (AcceptFigures & RoundStart) | FailedRound;
  propagation: PropagationRuns;
}

/** The key the bench's apps sign with; the apply backlog is signed with it as the API signs. */
const SIGNING_KEY = 'bench-signing-key-of-at-least-32-characters';

function envelope(
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

const slugOf = (i: number) => `svc-${i % SERVICES}`;

/** The suite's pieces of infrastructure beside the shared bench environment. */
class WriteBench {
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
      ...(app === 'worker' ? WORKER_NODE_ARGS : []),
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

/**
 * Worker apply rate from a pre-filled topic, beside a bare consumer reading the same
 * topic. The first round's backlog is signed as the API signs what it publishes (a
 * backlog of API writes, as a worker outage leaves it); the second is the same number of
 * changes from an outside producer, unsigned, which the worker validates in full.
 */
async function applyThroughput(
  bench: WriteBench,
  origin: 'api' | 'outside',
  bareBefore?: number,
): Promise<ApplyFigures & RoundStart> {
  const signed = origin === 'api';
  const messages =
    origin === 'api'
      ? Array.from({ length: SERVICES }, (_, i) =>
          envelope(
            'service.registered',
            slugOf(i),
            {
              name: `Bench ${i}`,
              owner: 'team-bench',
              tier: 2,
              lifecycle: 'production',
              tags: ['bench'],
              links: [],
            },
            signed,
          ),
        )
      : [];
  for (let i = 0; i < BACKLOG; i++) {
    messages.push(
      envelope(
        'config.set',
        slugOf(i),
        { env: 'prod', key: `${origin}-key-${i % 5}`, value: { n: i, enabled: i % 2 === 0 } },
        signed,
      ),
    );
  }
  const processedBefore = await bench.processed();
  await bench.produce(bench.env.topics.Events, messages);
  const bare = bareBefore ?? (await bareConsumerRate(bench, messages.length));
  const start = await quietRoundStart();

  const profile = PROFILE_DIR && signed ? 'worker-apply' : undefined;
  const worker = await bench.start('worker', profile);
  let cpuAtFirst = 0;
  try {
    let first = 0;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const applied = (await bench.processed()) - processedBefore;
      if (applied > 0 && first === 0) {
        first = Date.now();
        cpuAtFirst = worker.cpuSeconds();
      }
      if (applied >= messages.length) break;
      if (Date.now() > deadline) throw new Error(`worker applied ${applied} of ${messages.length}`);
      await pause(20);
    }
    // Applied means in Redis too: every service's cached snapshot at PostgreSQL's revision.
    const revisions = await bench.env.db
      .selectFrom('aggregates')
      .select(['aggregate', 'revision'])
      .execute();
    for (;;) {
      const cached = await Promise.all(
        revisions.map((a) =>
          bench.redis.hget(
            `warden:${bench.env.namespace}:snap:{${a.aggregate.slice('service:'.length)}}`,
            'r',
          ),
        ),
      );
      if (cached.every((r, i) => r === String(revisions[i].revision))) break;
      if (Date.now() > deadline) throw new Error('Redis did not catch up');
      await pause(20);
    }
    const eventsPerSecond = Math.round(messages.length / ((Date.now() - first) / 1000));
    const workerCpuMicrosPerEvent = round(
      ((worker.cpuSeconds() - cpuAtFirst) * 1e6) / messages.length,
    );
    return {
      ...start,
      events: messages.length,
      eventsPerSecond,
      workerCpuMicrosPerEvent,
      bareConsumerPerSecond: bare,
      ratio: round(eventsPerSecond / bare, 3),
    };
  } finally {
    await bench.stop(worker);
  }
}

/** A CPU profile that BENCH_PROFILE_DIR asked for, summarised; `name` as the process's label. */
function phaseProfile(name: string, title: string): string | undefined {
  if (!PROFILE_DIR) return undefined;
  const file = path.join(PROFILE_DIR, `${name}.cpuprofile`);
  return existsSync(file)
    ? profileMarkdown(`${title} (${file})`, summariseProfile(file))
    : undefined;
}

async function bareConsumerRate(bench: WriteBench, total: number): Promise<number> {
  const consumer = bench.kafka.consumer({
    groupId: `${bench.env.namespace}.bare-reader`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: bench.env.topics.Events, fromBeginning: true });
  let read = 0;
  let first = 0;
  let last = 0;
  // From the first fetch sent: one fetch may bring all of a small topic at once.
  consumer.on(consumer.events.FETCH_START, () => {
    if (first === 0) first = Date.now();
  });
  await new Promise<void>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        read += batch.messages.length;
        if (read >= total && last === 0) {
          last = Date.now();
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return Math.round(total / Math.max(0.001, (last - first) / 1000));
}

/** 202s per second at N connections, beside a bare acks=all producer at the same concurrency. */
async function acceptThroughput(bench: WriteBench, context: BenchContext): Promise<AcceptFigures> {
  const { connections, durationSeconds, warmupSeconds } = context.options;
  const api = await bench.start('api', PROFILE_DIR ? 'api-accept' : undefined);
  try {
    const requests = Array.from({ length: 20 }, (_, i) => ({
      method: 'PUT' as const,
      path: `/v1/services/${slugOf(i)}/config/prod/accepted-${i}`,
      body: JSON.stringify({ value: { load: true, n: i } }),
    }));
    const run = (duration: number) =>
      autocannon({ url: api.baseUrl, connections, duration, headers: WRITER, requests });
    if (warmupSeconds > 0) await run(warmupSeconds);
    const result = await run(durationSeconds);
    const acceptedPerSecond = Math.round(result['2xx'] / durationSeconds);
    const bare = await bareProducerRate(bench, connections, durationSeconds);
    return {
      connections,
      acceptedPerSecond,
      bareProducerPerSecond: bare,
      ratio: round(acceptedPerSecond / bare, 2),
      failed: result.non2xx + result.errors,
    };
  } finally {
    await bench.stop(api);
  }
}

/** `concurrency` callers each sending one message at a time with acks=all, as the API's clients do. */
async function bareProducerRate(
  bench: WriteBench,
  concurrency: number,
  seconds: number,
): Promise<number> {
  const producer = bench.kafka.producer({ maxInFlightRequests: 1 });
  await producer.connect();
  const until = Date.now() + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (Date.now() < until) {
        await producer.send({
          topic: bench.bareTopic,
          acks: -1,
          messages: [envelope('config.set', slugOf(i), { env: 'prod', key: 'bare', value: sent })],
        });
        sent++;
      }
    }),
  );
  await producer.disconnect();
  return Math.round(sent / seconds);
}

/**
 * Propagation at 200 and at 500 writes/s, and one write at a time, each started on a
 * machine as quiet as it gets (the load average of each is recorded beside it). A round
 * that fails is reported with its reason (and the processes' last words), and the next
 * round still runs.
 */
async function propagation(bench: WriteBench, context: BenchContext): Promise<PropagationRuns> {
  const profiled = (name: string) => (PROFILE_DIR ? name : undefined);
  const processes = await attempt(
    'propagation: starting the worker and two APIs',
    context.log,
    () =>
      Promise.all([
        bench.start('worker', profiled('worker-propagation')),
        bench.start('api', profiled('api-writer-propagation')),
        bench.start('api', profiled('api-reader-propagation')),
      ]),
  );
  if (failed(processes)) {
    return PROPAGATION_RATES.map((writesPerSecond) => ({ writesPerSecond, ...processes }));
  }
  const [worker, writer, reader] = processes;
  const named = { worker, writer, reader };
  const label = (rate: number) => `propagation at ${rate ? `${rate} writes/s` : 'one at a time'}`;
  try {
    const metricsOf = [writer, reader, worker].map((p) => ({
      url: `${p.baseUrl}/metrics`,
      headers: ADMIN,
    }));
    const runs: PropagationRuns = [];
    for (const writesPerSecond of PROPAGATION_RATES) {
      const run = await attempt(label(writesPerSecond), context.log, async () => {
        // The accept phase (or the round before) left a backlog: measure only once the
        // worker is idle.
        await bench.caughtUp(300_000);
        const before = await scrapeStages(metricsOf);
        const start = await quietRoundStart();
        const census = () =>
          cpuSnapshot({ worker: worker.pid, 'writer API': writer.pid, 'reader API': reader.pid });
        const cpuBefore = census();
        const figures = await measurePropagation({
          writerUrl: writer.baseUrl,
          readerUrl: reader.baseUrl,
          headers: WRITER,
          slugOf,
          services: 20,
          writesPerSecond,
          writes:
            writesPerSecond === 0
              ? SEQUENTIAL_WRITES
              : writesPerSecond * context.options.durationSeconds,
          connections: PROPAGATION_CONNECTIONS,
          readers: READERS,
        });
        const cpu = cpuShares(cpuBefore, census(), figures.accepted);
        context.log(`${label(writesPerSecond)}: ${JSON.stringify(figures)}`);
        const gone = Object.entries(named).filter(([, p]) => p.exitState());
        if (gone.length) {
          for (const [name, p] of gone) context.log(`the ${name}'s output:\n${p.logs()}`);
          throw new Error(gone.map(([name, p]) => `the ${name} ${p.exitState()}`).join('; '));
        }
        if (Object.keys(figures.unanswered).length || Object.keys(figures.refused).length) {
          context.log(`the writer's last output:\n${writer.logs().slice(-4000)}`);
        }
        await bench.caughtUp(60_000);
        const stages = stageQuantiles(stageDelta(await scrapeStages(metricsOf), before));
        context.log(`stages at ${writesPerSecond || 'one at a time'}: ${JSON.stringify(stages)}`);
        return { ...figures, ...start, stages, cpu };
      });
      runs.push(failed(run) ? { writesPerSecond, ...run } : run);
    }
    return runs;
  } finally {
    await Promise.all([bench.stop(writer), bench.stop(reader), bench.stop(worker)]);
  }
}

const TARGETS = {
  applyPerSecond: 12_000,
  acceptPerSecond: 6_000,
  p99At500Ms: 50,
  sequentialP50Ms: 8,
  sequentialP99Ms: 20,
};

const rateLabel = (writesPerSecond: number) =>
  writesPerSecond ? `${writesPerSecond} writes/s` : 'one at a time';

const rateOf = (writesPerSecond: number) =>
  writesPerSecond === 0 ? 'one write at a time' : `${writesPerSecond} writes/s`;

/** What a propagation round met besides `202`s, in words; empty when it met nothing. */
function mishaps(p: PropagationRound): string {
  const tally = (what: string, counts: Record<string, number>) =>
    Object.entries(counts).map(([reason, n]) => `${n} ${what} (${reason})`);
  return [
    ...tally('refused', p.refused),
    ...tally('unanswered', p.unanswered),
    ...tally('reads failed', p.failedReads),
    ...(p.notVisible ? [`${p.notVisible} not visible within 10 s`] : []),
  ].join(', ');
}

function markdown(f: WritePathFigures): string {
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const load = (r: RoundStart) => `${r.loadAverage}${r.valid ? '' : ' (INVALID: not quiet)'}`;
  const failedRow = (what: string, r: FailedRound) =>
    `| ${what} | **failed**: ${r.error} | | | | |`;
  const propagationRow = (p: PropagationRuns[number]) => {
    const what = `propagation: \`202\` on one API → visible in the effective view (GET) of another, ${rateOf(p.writesPerSecond)}`;
    if (failed(p)) return failedRow(what, p);
    const target =
      p.writesPerSecond === 500
        ? `p99 ≤ ${TARGETS.p99At500Ms} ms: ${met(p.p99Ms <= TARGETS.p99At500Ms)}`
        : p.writesPerSecond === 0
          ? `p50 ≤ ${TARGETS.sequentialP50Ms} ms, p99 ≤ ${TARGETS.sequentialP99Ms} ms: ${met(p.p50Ms <= TARGETS.sequentialP50Ms && p.p99Ms <= TARGETS.sequentialP99Ms)}`
          : '—';
    const writes = `${p.accepted} of ${p.writes} writes accepted (${p.acceptedPerSecond}/s; due → \`202\` p50 ${p.writeP50Ms} ms, p99 ${p.writeP99Ms} ms)`;
    const besides = mishaps(p);
    return `| ${what}; ${writes}${besides ? `; ${besides}` : ''} | p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, max ${p.maxMs} ms | | | ${target} | ${load(p)} |`;
  };
  const apply = (a: WritePathFigures['apply']) =>
    failed(a)
      ? failedRow('apply', a)
      : `| apply: events/s from a pre-filled topic (${a.events} events signed as the API signs them) until applied in PostgreSQL and Redis; worker CPU ${a.workerCpuMicrosPerEvent} µs per event | ${a.eventsPerSecond} | ${a.bareConsumerPerSecond} (a consumer that only reads) | ${a.ratio} | ≥ ${TARGETS.applyPerSecond.toLocaleString('en')}/s: ${met(a.eventsPerSecond >= TARGETS.applyPerSecond)} | ${load(a)} |`;
  const applyOutside = (a: NonNullable<WritePathFigures['applyOutside']>) =>
    failed(a)
      ? failedRow('apply, outside producer', a)
      : `| apply, outside producer: the same number of changes unsigned (${a.events} events, each validated in full); worker CPU ${a.workerCpuMicrosPerEvent} µs per event | ${a.eventsPerSecond} | | ${a.ratio} | — | ${load(a)} |`;
  const accept = (a: NonNullable<WritePathFigures['accept']>) =>
    failed(a)
      ? failedRow('accept', a)
      : `| accept: \`202\`s/s at ${a.connections} connections (${a.failed} failed) | ${a.acceptedPerSecond} | ${a.bareProducerPerSecond} (acks=all, ${a.connections} concurrent sends) | ${a.ratio} | ≥ ${TARGETS.acceptPerSecond.toLocaleString('en')}/s: ${met(a.acceptedPerSecond >= TARGETS.acceptPerSecond)} | ${load(a)} |`;
  return [
    '| measure | Warden | bare kafkajs | ratio | target | load average at start |',
    '|---|---|---|---|---|---|',
    apply(f.apply),
    ...(f.applyOutside ? [applyOutside(f.applyOutside)] : []),
    ...(f.accept ? [accept(f.accept)] : []),
    ...f.propagation.map(propagationRow),
    '',
    'The bare consumer only counts what it reads; the worker validates, applies in one ' +
      'PostgreSQL transaction per batch, writes Redis, announces and feeds the outbox, so the ' +
      'apply ratio says how much of the time goes to that work rather than to Kafka. An ' +
      'envelope the API signed is checked by its frame only (the API validated the write ' +
      "with the same rules); an outside producer's envelope is validated in full. The API " +
      'gathers concurrent writes into one `sendBatch`, which is why it can outrun a producer ' +
      'that sends one message per request. The propagation runs write through a pool of ' +
      `${PROPAGATION_CONNECTIONS} kept-alive connections; a write due while all are busy waits ` +
      'for one, and that wait counts in its due → `202` time.',
    '',
    'Where the propagation time went: the per-stage histograms `warden_write_stage_seconds` ' +
      'of both APIs and the worker, scraped before and after each run (quantiles interpolated ' +
      'within buckets; the p50s of the stages do not add up to the p50 of the whole).',
    ...(f.profile ? ['', f.profile] : []),
    ...f.propagation.flatMap((p) =>
      failed(p)
        ? []
        : [
            '',
            stagesMarkdown(rateLabel(p.writesPerSecond), p.stages),
            '',
            cpuMarkdown(rateLabel(p.writesPerSecond), 'write accepted', p.cpu),
          ],
    ),
  ].join('\n');
}

export const writePathSuite: BenchSuite = {
  name: 'write-path',
  title: 'Write path: apply, accept and propagation',

  async run(context: BenchContext): Promise<SuiteResult> {
    const env = await BenchEnvironment.create('write');
    const bench = new WriteBench(env, context, await benchRedis('bench-write-path'));
    try {
      await bench.prepare();
      context.log(`apply: ${SERVICES} registrations and ${BACKLOG} changes, pre-filled`);
      const apply = await attempt('apply', context.log, () => applyThroughput(bench, 'api'));
      context.log(`apply: ${JSON.stringify(apply)}`);
      const applyOutside = QUICK
        ? undefined
        : await attempt('apply, outside producer', context.log, () =>
            applyThroughput(
              bench,
              'outside',
              failed(apply) ? undefined : apply.bareConsumerPerSecond,
            ),
          );
      context.log(`apply, outside producer: ${JSON.stringify(applyOutside)}`);
      const profile = phaseProfile('worker-apply', 'Worker CPU profile of the apply phase');
      if (profile) context.log(profile);
      const accept = QUICK
        ? undefined
        : await attempt('accept', context.log, async () => {
            const start = await quietRoundStart();
            return { ...(await acceptThroughput(bench, context)), ...start };
          });
      context.log(`accept: ${JSON.stringify(accept)}`);
      const acceptProfile = phaseProfile('api-accept', 'API CPU profile of the accept phase');
      if (acceptProfile) context.log(acceptProfile);
      const spread = APPLY_ONLY ? [] : await propagation(bench, context);
      context.log(`propagation: ${JSON.stringify(spread)}`);
      for (const [name, title] of [
        ['worker-propagation', 'Worker CPU profile of the propagation runs'],
        ['api-writer-propagation', 'CPU profile of the API taking the writes'],
        ['api-reader-propagation', 'CPU profile of the API answering the reads'],
      ] as const) {
        const summary = phaseProfile(name, title);
        if (summary) context.log(summary);
      }
      const figures: WritePathFigures = {
        apply,
        applyOutside,
        profile,
        accept,
        propagation: spread,
      };
      return {
        suite: writePathSuite.name,
        title: writePathSuite.title,
        measuredAt: new Date().toISOString(),
        figures: figures as unknown as Record<string, unknown>,
        markdown: markdown(figures),
      };
    } finally {
      await bench.dispose();
      await env.dispose();
    }
  },
};

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
