/**
 * The write path: how fast the worker applies a backlog, how fast the API accepts
 * writes, and how soon a write is visible through another API instance, each beside
 * what bare kafkajs does on the same broker.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import type { BenchContext, BenchSuite, SuiteResult } from './suite.js';
import { BenchEnvironment, benchRedis } from './support/bench-environment.js';
import { round } from './support/load.js';
import { profileMarkdown, summariseProfile } from './support/cpu-profile.js';
import { quietRoundStart, type RoundStart } from './support/quiet.js';
import { attempt, failed } from './support/round.js';
import { cpuShares, cpuSnapshot } from './support/cpu-census.js';
import {
  PROFILE_DIR,
  SERVICES,
  WRITER,
  WriteBench,
  envelope,
  pause,
  slugOf,
} from './support/write-bench.js';
import {
  writePathMarkdown,
  type AcceptFigures,
  type ApplyFigures,
  type WritePathFigures,
} from './support/write-path-report.js';
import { measureRoundTripCost } from './support/round-trip-cost.js';
import { propagation } from './support/write-propagation.js';

const BACKLOG = Number(process.env.BENCH_WRITE_BACKLOG ?? 40_000);
/**
 * BENCH_WRITE_QUICK=1: only the signed apply and the propagation runs, to iterate on
 * them; =apply: only the signed apply; =accept: only the accept phase.
 */
const QUICK_MODE = process.env.BENCH_WRITE_QUICK ?? '';
const QUICK = ['1', 'apply'].includes(QUICK_MODE);
const APPLY_ONLY = QUICK_MODE === 'apply';
const ACCEPT_ONLY = QUICK_MODE === 'accept';

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
  let census = cpuSnapshot({ worker: worker.pid });
  try {
    let first = 0;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const applied = (await bench.processed()) - processedBefore;
      if (applied > 0 && first === 0) {
        first = Date.now();
        cpuAtFirst = worker.cpuSeconds();
        census = cpuSnapshot({ worker: worker.pid });
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
    const cpu = cpuShares(census, cpuSnapshot({ worker: worker.pid }), messages.length);
    return {
      ...start,
      events: messages.length,
      eventsPerSecond,
      workerCpuMicrosPerEvent,
      cpu,
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
    const before = cpuSnapshot({ API: api.pid });
    const result = await run(durationSeconds);
    const cpu = cpuShares(before, cpuSnapshot({ API: api.pid }), result['2xx']);
    const acceptedPerSecond = Math.round(result['2xx'] / durationSeconds);
    const bare = await bareProducerRate(bench, connections, durationSeconds);
    return {
      connections,
      acceptedPerSecond,
      bareProducerPerSecond: bare,
      ratio: round(acceptedPerSecond / bare, 2),
      failed: result.non2xx + result.errors,
      cpu,
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

export const writePathSuite: BenchSuite = {
  name: 'write-path',
  title: 'Write path: apply, accept and propagation',

  async run(context: BenchContext): Promise<SuiteResult> {
    const env = await BenchEnvironment.create('write');
    const bench = new WriteBench(env, context, await benchRedis('bench-write-path'));
    try {
      await bench.prepare();
      context.log(`apply: ${SERVICES} registrations and ${BACKLOG} changes, pre-filled`);
      const apply = ACCEPT_ONLY
        ? { error: 'not measured (BENCH_WRITE_QUICK=accept)' }
        : await attempt('apply', context.log, () => applyThroughput(bench, 'api'));
      context.log(`apply: ${JSON.stringify(apply)}`);
      const applyOutside =
        QUICK || ACCEPT_ONLY
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
      const roundTrip = await measureRoundTripCost();
      context.log(`round trip: ${JSON.stringify(roundTrip)}`);
      const spread = APPLY_ONLY || ACCEPT_ONLY ? [] : await propagation(bench, context);
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
        roundTrip,
      };
      return {
        suite: writePathSuite.name,
        title: writePathSuite.title,
        measuredAt: new Date().toISOString(),
        figures: figures as unknown as Record<string, unknown>,
        markdown: writePathMarkdown(figures),
      };
    } finally {
      await bench.dispose();
      await env.dispose();
    }
  },
};
