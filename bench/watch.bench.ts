/**
 * Push to watchers: how soon a write made through one API instance reaches a watcher
 * (Server-Sent Events) on another, at 200 and 500 writes/s; and what 10,000 watchers of
 * one view cost one API instance in memory, and how soon all of them have a change.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { BenchContext, BenchSuite, SuiteResult } from './suite.js';
import { BenchEnvironment, type Envelope } from './support/bench-environment.js';
import { BenchProcess } from './support/bench-process.js';
import {
  profileClockMicros,
  profileMarkdown,
  summariseProfile,
  type ProfileWindow,
} from './support/cpu-profile.js';
import { round } from './support/load.js';
import { putThrough } from './support/propagation.js';
import { RoundValues } from './support/round-values.js';
import { quietRoundStart, type RoundStart } from './support/quiet.js';
import { cpuMarkdown, cpuShares, cpuSnapshot, type CpuShare } from './support/cpu-census.js';
import { CountingWatchers, ParsedWatcher } from './support/sse-watchers.js';

const READER = { authorization: 'Bearer dev-reader' };
const WRITER = { authorization: 'Bearer dev-writer', 'content-type': 'application/json' };
const SERVICES = 20;
/** Config keys per service that the writes go round (a view stays small however long the run). */
const KEYS = 50;
const RATES = [200, 500];
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 10_000);
/** Changes of the fanned-out view, one at a time, each once all watchers had the previous one. */
const FAN_OUT_CHANGES = 5;
const FAN_OUT_SLUG = 'fan-out';
const TARGETS = { p99Ms: 50, perWatcherKiB: 16, fanOutP99Ms: 250 };
/** Set: the watchers' API writes a CPU profile there (`watch-reader.cpuprofile`), summarised over the fan-out. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const READER_PROFILE = 'watch-reader.cpuprofile';
/** The push rounds' warm-up at their first rate: long enough for the compiler to settle. */
const PUSH_WARMUP_SECONDS = 10;

interface PushFigures extends RoundStart {
  /** Who used the cores over the run, per write. */
  cpu: CpuShare[];
  writesPerSecond: number;
  writes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface FanOutFigures extends RoundStart {
  watchers: number;
  openSeconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  perWatcherKiB: number;
  changes: number;
  /** Over every watcher of every change: from the write's request to the watcher's receipt. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median over the changes of the time from the first watcher's receipt to the last's. */
  spreadMs: number;
}

interface WatchFigures {
  push: PushFigures[];
  fanOut: FanOutFigures;
}

/** From each write of the fan-out to its last watcher's receipt, on the profile's clock. */
type FanOutWindows = ProfileWindow[];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const slugOf = (i: number) => `watch-${i % SERVICES}`;
const keyOf = (i: number) => `w-${Math.floor(i / SERVICES) % KEYS}`;
/** The writes that share a key with write `i` are this far apart: a later one hides it. */
const KEY_PERIOD = SERVICES * KEYS;

function quantile(sorted: number[], q: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
}

function registrations(): Envelope[] {
  return [...Array.from({ length: SERVICES }, (_, i) => slugOf(i)), FAN_OUT_SLUG].map((slug) => ({
    type: 'service.registered',
    aggregate: `service:${slug}`,
    data: { slug, name: slug, owner: 'team-bench', tier: 2, lifecycle: 'production', tags: [] },
  }));
}

/** The writes' kept-alive connections: fewer than the API's listen queue (see propagation.ts). */
const WRITE_CONNECTIONS = 256;

async function put(
  agent: http.Agent,
  writer: BenchProcess,
  slug: string,
  key: string,
  value: string,
): Promise<void> {
  const answer = await putThrough(
    agent,
    `${writer.baseUrl}/v1/services/${slug}/config/prod/${key}`,
    WRITER,
    JSON.stringify({ value }),
  );
  if (answer.status !== 202) throw new Error(`write answered ${answer.status}`);
}

/**
 * Writes at `rate` through `writer`; one parsed stream per service on `reader` tells when
 * each write shows in the view. A write counts as received when its value, or that of a
 * later write to the same key, arrives.
 */
async function push(
  writer: BenchProcess,
  reader: BenchProcess,
  rate: number,
  seconds: number,
): Promise<Omit<PushFigures, keyof RoundStart | 'cpu'>> {
  // Per service, the writes not yet received: when each was sent, whether its 202 came,
  // when its view did.
  const pending = Array.from(
    { length: SERVICES },
    () => new Map<number, { sentAt: number; accepted?: boolean; seenAt?: number }>(),
  );
  const latencies: number[] = [];
  let settled: () => void = () => undefined;
  const values = new RoundValues(String(rate), KEY_PERIOD);
  // From the write's request to the view that has it: under load the view can reach the
  // watcher before the 202 has travelled back, so the 202 is no fair start.
  const finish = (s: number, i: number, sentAt: number, seenAt: number) => {
    latencies.push(seenAt - sentAt);
    pending[s].delete(i);
  };
  const watchers = await Promise.all(
    Array.from({ length: SERVICES }, (_, s) =>
      ParsedWatcher.open(
        `${reader.baseUrl}/v1/services/${slugOf(s)}/effective?env=prod`,
        READER,
        (data, at) => {
          const waiting = pending[s];
          if (waiting.size === 0) return;
          const config = (JSON.parse(data) as { config: Record<string, string> }).config;
          for (const [i, write] of waiting) {
            if (write.seenAt !== undefined) continue;
            if (!values.shows(config[keyOf(i)], i)) continue;
            if (!write.accepted) write.seenAt = at;
            else finish(s, i, write.sentAt, at);
          }
          if (pending.every((p) => p.size === 0)) settled();
        },
      ),
    ),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: WRITE_CONNECTIONS });
  try {
    const writes = Math.round(rate * seconds);
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < writes; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 0) await pause(wait);
      const write: { sentAt: number; accepted?: boolean; seenAt?: number } = {
        sentAt: performance.now(),
      };
      pending[i % SERVICES].set(i, write);
      inFlight.push(
        put(agent, writer, slugOf(i), keyOf(i), values.of(i)).then(() => {
          write.accepted = true;
          if (write.seenAt !== undefined) finish(i % SERVICES, i, write.sentAt, write.seenAt);
        }),
      );
    }
    await Promise.all(inFlight);
    const done = new Promise<void>((resolve) => (settled = resolve));
    if (pending.some((p) => p.size > 0)) {
      await Promise.race([
        done,
        pause(15_000).then(() => {
          throw new Error('some writes never reached the watchers');
        }),
      ]);
    }
    latencies.sort((a, b) => a - b);
    return {
      writesPerSecond: rate,
      writes,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: round(latencies.at(-1) ?? 0),
    };
  } finally {
    agent.destroy();
    for (const w of watchers) w.close();
  }
}

/** WATCHERS streams of one view on `reader`; changes written through `writer`, one at a time. */
async function fanOut(
  writer: BenchProcess,
  reader: BenchProcess,
  log: (message: string) => void,
  windows: FanOutWindows,
): Promise<Omit<FanOutFigures, keyof RoundStart>> {
  const watchers = new CountingWatchers(WATCHERS);
  // The view is composed and cached before the baseline, so that it is not counted per watcher.
  await (
    await fetch(`${reader.baseUrl}/v1/services/${FAN_OUT_SLUG}/effective?env=prod`, {
      headers: READER,
    })
  ).arrayBuffer();
  const rssBefore = reader.rssBytes();
  const openedAt = performance.now();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await watchers.open(
      reader.port,
      `/v1/services/${FAN_OUT_SLUG}/effective?env=prod`,
      READER.authorization,
    );
    const openSeconds = (performance.now() - openedAt) / 1000;
    // Let the buffers of the handshakes go, as a long-lived instance would.
    await pause(2000);
    const rssAfter = reader.rssBytes();
    log(`fan-out: ${WATCHERS} streams open in ${openSeconds.toFixed(1)} s`);
    const all: number[] = [];
    const spreads: number[] = [];
    for (let change = 1; change <= FAN_OUT_CHANGES; change++) {
      const sent = performance.now();
      const windowStart = profileClockMicros();
      await put(agent, writer, FAN_OUT_SLUG, 'fan-out', `c-${change}`);
      const deadline = Date.now() + 30_000;
      while (watchers.holding(change + 1) < WATCHERS) {
        if (Date.now() > deadline)
          throw new Error(`change ${change} reached ${watchers.holding(change + 1)} watchers`);
        await pause(5);
      }
      windows.push([windowStart, profileClockMicros()]);
      let first = Infinity;
      let last = 0;
      for (let i = 0; i < WATCHERS; i++) {
        const at = watchers.lastViewAt[i];
        all.push(at - sent);
        first = Math.min(first, at);
        last = Math.max(last, at);
      }
      spreads.push(last - first);
      await pause(500);
    }
    all.sort((a, b) => a - b);
    spreads.sort((a, b) => a - b);
    return {
      watchers: WATCHERS,
      openSeconds: round(openSeconds),
      rssBeforeMb: round(rssBefore / 2 ** 20),
      rssAfterMb: round(rssAfter / 2 ** 20),
      perWatcherKiB: round((rssAfter - rssBefore) / WATCHERS / 1024),
      changes: FAN_OUT_CHANGES,
      p50Ms: quantile(all, 0.5),
      p99Ms: quantile(all, 0.99),
      maxMs: round(all.at(-1) ?? 0),
      spreadMs: quantile(spreads, 0.5),
    };
  } finally {
    agent.destroy();
    watchers.close();
  }
}

function markdown(f: WatchFigures): string {
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const load = (r: RoundStart) => `${r.loadAverage}${r.valid ? '' : ' (INVALID: not quiet)'}`;
  const o = f.fanOut;
  return [
    '| measure | value | target | load average at start |',
    '|---|---|---|---|',
    ...f.push.map(
      (p) =>
        `| push: a write (\`PUT\`, answered \`202\`) sent to one API → \`event: view\` with it received by a watcher (SSE) on another, ${p.writes} writes at ${p.writesPerSecond}/s over ${SERVICES} services | p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, max ${p.maxMs} ms | p99 ≤ ${TARGETS.p99Ms} ms: ${met(p.p99Ms <= TARGETS.p99Ms)} | ${load(p)} |`,
    ),
    `| fan-out: memory per watcher, ${o.watchers.toLocaleString('en')} streams of one view on one API (RSS ${o.rssBeforeMb} → ${o.rssAfterMb} MiB; opened in ${o.openSeconds} s) | ${o.perWatcherKiB} KiB | ≤ ${TARGETS.perWatcherKiB} KiB: ${met(o.perWatcherKiB <= TARGETS.perWatcherKiB)} | ${load(o)} |`,
    `| fan-out: a write sent to the other API → each of the ${o.watchers.toLocaleString('en')} watchers has the change (${o.changes} changes, one at a time) | p50 ${o.p50Ms} ms, p99 ${o.p99Ms} ms, max ${o.maxMs} ms; first to last watcher ${o.spreadMs} ms (median) | p99 ≤ ${TARGETS.fanOutP99Ms} ms: ${met(o.p99Ms <= TARGETS.fanOutP99Ms)} | ${load(o)} |`,
    '',
    'The watchers are in the load generator, on the same two cores as the APIs and the ' +
      'worker. The fan-out watchers are raw sockets that only count `event: view` markers ' +
      '(no HTTP or SSE parsing), so that their own cost per event stays small beside the ' +
      "server's; the push watchers parse their one stream each.",
    ...f.push.flatMap((p) => [
      '',
      cpuMarkdown(`push at ${p.writesPerSecond} writes/s`, 'write', p.cpu),
    ]),
  ].join('\n');
}

/** The watchers' API's CPU profile over the fan-out windows, when BENCH_PROFILE_DIR asked for one. */
function fanOutProfile(windows: FanOutWindows): string | undefined {
  if (!PROFILE_DIR) return undefined;
  const file = path.join(PROFILE_DIR, READER_PROFILE);
  return existsSync(file)
    ? profileMarkdown(
        `CPU profile of the watchers' API over the ${windows.length} fan-outs, from each write to its last watcher (${file})`,
        summariseProfile(file, 15, windows),
      )
    : undefined;
}

export const watchSuite: BenchSuite = {
  name: 'watch',
  title: 'Watch: push of changes to Server-Sent Events watchers',

  async run(context: BenchContext): Promise<SuiteResult> {
    const env = await BenchEnvironment.create('watch');
    const running = new Set<BenchProcess>();
    const dist = (entry: string) => path.join(context.root, 'dist', entry);
    const start = async (app: 'api' | 'worker', profile?: string) => {
      const extra = { WATCH_MAX_PER_TOKEN: '100000', WATCH_MAX_PER_INSTANCE: '100000' };
      const nodeArgs = profile
        ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profile}`]
        : [];
      const started =
        app === 'api'
          ? await BenchProcess.start(
              dist('apps/api/src/main.js'),
              env.processEnv(extra),
              '/admin/health/ready',
              'PORT',
              nodeArgs,
            )
          : await BenchProcess.start(
              dist('apps/worker/src/main.js'),
              env.processEnv(),
              '/health/ready',
              'WORKER_PORT',
            );
      running.add(started);
      return started;
    };
    const windows: FanOutWindows = [];
    let figures: WatchFigures;
    try {
      const worker = await start('worker');
      const [writer, reader] = await Promise.all([
        start('api'),
        start('api', PROFILE_DIR ? READER_PROFILE : undefined),
      ]);
      const census = () =>
        cpuSnapshot({ worker: worker.pid, 'writer API': writer.pid, "watchers' API": reader.pid });
      const services = registrations();
      await env.publish(services);
      await env.applied(services.length, 120_000);
      // Warm-up: the first writes of fresh processes pay for connections and compilation,
      // and the optimising compiler is still at work after thousands of them (measured
      // 2026-12-07 at 200 writes/s: a second round of 2,000 writes cost the writer API 1.4
      // instead of 1.9 ms of CPU per write, the reader API 0.9 instead of 1.3).
      if (context.options.warmupSeconds > 0)
        await push(
          writer,
          reader,
          RATES[0],
          Math.max(context.options.warmupSeconds, PUSH_WARMUP_SECONDS),
        );
      const pushRuns: PushFigures[] = [];
      for (const rate of RATES) {
        const quiet = await quietRoundStart();
        const before = census();
        const figures = await push(writer, reader, rate, context.options.durationSeconds);
        const cpu = cpuShares(before, census(), figures.writes);
        context.log(`push at ${rate} writes/s: ${JSON.stringify({ ...figures, cpu })}`);
        pushRuns.push({ ...figures, ...quiet, cpu });
      }
      const quiet = await quietRoundStart();
      const fan = { ...(await fanOut(writer, reader, context.log, windows)), ...quiet };
      context.log(`fan-out: ${JSON.stringify(fan)}`);
      figures = { push: pushRuns, fanOut: fan };
    } finally {
      // The profile is written when the reader exits.
      await Promise.all([...running].map((p) => p.stop()));
      await env.dispose();
    }
    const profile = fanOutProfile(windows);
    return {
      suite: watchSuite.name,
      title: watchSuite.title,
      measuredAt: new Date().toISOString(),
      figures: figures as unknown as Record<string, unknown>,
      markdown: profile ? `${markdown(figures)}\n\n${profile}` : markdown(figures),
    };
  },
};
