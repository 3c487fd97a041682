import path from 'node:path';
import { POLICY_TYPES } from '#domain/policy.model';
import type { BenchContext, BenchSuite, SuiteResult } from './suite.js';
import { BenchEnvironment, type Envelope } from './support/bench-environment.js';
import { BenchProcess } from './support/bench-process.js';
import { measureLoad, round, type LoadFigures } from './support/load.js';
import { measureLookupCost, type LookupCost } from './support/lookup-cost.js';
import { median, quietRoundStart, type RoundStart } from './support/quiet.js';

const HOT = 'bench-hot';
const READER = { authorization: 'Bearer dev-reader' };
const ADMIN = { authorization: 'Bearer dev-admin' };
const TARGETS = { bOverA: 0.8, cpuBOverA: 1.25, p99OfBMs: 5, bOverD: 5, rssMb: 300 };

interface TierCounts {
  /** Effective views answered from memory before Nest's pipeline (the fast path). */
  fastPath: number;
  l1Hits: number;
  l2Hits: number;
  dbLoads: number;
}

type RunKey = 'a' | 'b' | 'c' | 'd';

interface RunFigures extends LoadFigures {
  label: string;
  /** Where the answers came from during the measured run (the API's own counters). */
  served?: TierCounts;
}

interface HotReadRound extends RoundStart {
  round: number;
  a: RunFigures;
  b: RunFigures;
}

/**
 * b/a in req/s and in CPU per request, each the median of the rounds' own ratios (of the
 * valid rounds; of all of them, marked invalid, when no round started quiet), and the
 * round whose req/s ratio is that median, for the table.
 */
function hotReadRatios(rounds: HotReadRound[]) {
  const valid = rounds.filter((r) => r.valid);
  const used = valid.length ? valid : rounds;
  const reqOf = (r: HotReadRound) => r.b.requestsPerSecond / r.a.requestsPerSecond;
  const cpuOf = (r: HotReadRound) =>
    (r.b.cpuMicrosPerRequest ?? NaN) / (r.a.cpuMicrosPerRequest ?? NaN);
  const reqRatio = round(median(used.map(reqOf)), 2);
  const cpuRatio = round(median(used.map(cpuOf)), 2);
  const representative = used.reduce((best, r) =>
    Math.abs(reqOf(r) - reqRatio) < Math.abs(reqOf(best) - reqRatio) ? r : best,
  );
  return { reqRatio, cpuRatio, valid: valid.length > 0, validRounds: valid.length, representative };
}

/** One service as gateways see it: every policy type at some level, and some configuration. */
function seed(services: number): Envelope[] {
  const service = (slug: string) => `service:${slug}`;
  const out: Envelope[] = [
    {
      type: 'default-policy.set',
      aggregate: 'defaults:quota',
      data: { type: 'quota', enabled: true, spec: { limit: 100_000, period: 'day' } },
    },
    {
      type: 'default-policy.set',
      aggregate: 'defaults:circuit-breaker',
      data: {
        type: 'circuit-breaker',
        enabled: true,
        spec: { errorRatePercent: 50, windowSeconds: 30, cooldownSeconds: 60 },
      },
    },
  ];
  const register = (slug: string, i: number) => {
    out.push(
      {
        type: 'service.registered',
        aggregate: service(slug),
        data: {
          slug,
          name: `Bench service ${i}`,
          owner: `team-${i % 50}`,
          tier: i % 4,
          lifecycle: 'production',
          tags: ['bench', `zone-${i % 3}`],
          links: [{ title: 'Runbook', url: `https://runbooks.example.com/${slug}` }],
          description: 'A service registered by the read-path benchmark',
        },
      },
      {
        type: 'policy.set',
        aggregate: service(slug),
        data: {
          slug,
          type: 'rate-limit',
          env: '*',
          enabled: true,
          spec: { requestsPerSecond: 500, burst: 100 },
        },
      },
      {
        type: 'policy.set',
        aggregate: service(slug),
        data: {
          slug,
          type: 'access',
          env: 'prod',
          enabled: true,
          spec: { allow: ['checkout', 'payments'], deny: [] },
        },
      },
    );
    for (const [key, value] of Object.entries({
      'timeouts.upstreamMs': 2500,
      'retries.max': 3,
      'feature.newCheckout': true,
      'db.pool': { min: 2, max: 20 },
    })) {
      out.push({
        type: 'config.set',
        aggregate: service(slug),
        data: { slug, env: 'prod', key, value },
      });
    }
  };
  register(HOT, services);
  for (let i = 0; i < services; i++) register(`bench-svc-${i}`, i);
  return out;
}

export const readPathSuite: BenchSuite = {
  name: 'read-path',
  title: 'Read path: GET /v1/services/{slug}/effective',

  async run(context: BenchContext): Promise<SuiteResult> {
    const { options, log } = context;
    const services = Number(process.env.BENCH_SERVICES ?? 10_000);
    const dist = (entry: string) => path.join(context.root, 'dist', entry);
    const env = await BenchEnvironment.create('read');
    const running = new Set<BenchProcess>();
    const start = async (
      entry: string,
      extra: Record<string, string>,
      ready: string,
      portVariable?: string,
    ) => {
      const started = await BenchProcess.start(dist(entry), extra, ready, portVariable);
      running.add(started);
      return started;
    };
    const stop = async (child: BenchProcess) => {
      running.delete(child);
      await child.stop();
    };
    const startApi = (extra: Record<string, string> = {}) =>
      start('apps/api/src/main.js', env.processEnv(extra), '/admin/health/ready');
    const hotPath = `/v1/services/${HOT}/effective?env=prod`;
    // Gateways ask for many services: every run goes round all of them, so that concurrent
    // requests rarely share a key (which single flight would turn into one query).
    const paths = [
      hotPath,
      ...Array.from(
        { length: services },
        (_, i) => `/v1/services/bench-svc-${i}/effective?env=prod`,
      ),
    ];

    try {
      log(`seeding ${services} services through Kafka (namespace ${env.namespace})`);
      const worker = await start(
        'apps/worker/src/main.js',
        env.processEnv(),
        '/health/ready',
        'WORKER_PORT',
      );
      const envelopes = seed(services);
      const seedStarted = Date.now();
      await env.publish(envelopes);
      await env.applied(envelopes.length, 15 * 60_000);
      const seedSeconds = (Date.now() - seedStarted) / 1000;
      log(`${envelopes.length} events applied in ${seedSeconds.toFixed(1)} s`);

      const load = async (
        label: string,
        api: BenchProcess | undefined,
        server: BenchProcess,
      ): Promise<RunFigures> => {
        log(
          `(${label}) ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s at ${options.connections} connections`,
        );
        const before = api && (await tierCounts(api));
        const figures = await measureLoad({
          baseUrl: server.baseUrl,
          paths,
          headers: READER,
          cpu: server,
          ...options,
        });
        const after = api && (await tierCounts(api));
        const served =
          before && after
            ? {
                fastPath: after.fastPath - before.fastPath,
                l1Hits: after.l1Hits - before.l1Hits,
                l2Hits: after.l2Hits - before.l2Hits,
                dbLoads: after.dbLoads - before.dbLoads,
              }
            : undefined;
        log(
          `(${label}) ${figures.requestsPerSecond} req/s, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, ${figures.cpuMicrosPerRequest} µs CPU per request`,
        );
        return { label, ...figures, served };
      };

      const l1 = await startApi();
      const first = await fetch(`${l1.baseUrl}${hotPath}`, { headers: READER });
      if (first.status !== 200) {
        throw new Error(`GET ${hotPath} answered ${first.status}: ${await first.text()}`);
      }
      const document = await first.text();
      // All four servers run side by side, so that no figure waits for a process to start.
      const targets: { key: RunKey; label: string; server: BenchProcess; counted: boolean }[] = [
        {
          key: 'a',
          label: 'a: bare Fastify',
          server: await start('bench/support/bare-server.js', { BARE_DOCUMENT: document }, '/'),
          counted: false,
        },
        { key: 'b', label: 'b: Warden, L1', server: l1, counted: true },
        {
          key: 'c',
          label: 'c: Warden, L1 off (Redis)',
          server: await startApi({ CACHE_L1_ENABLED: 'false' }),
          counted: true,
        },
        {
          key: 'd',
          label: 'd: Warden, both caches off (PostgreSQL)',
          server: await startApi({ CACHE_L1_ENABLED: 'false', CACHE_L2_ENABLED: 'false' }),
          counted: true,
        },
      ];
      // a and b are measured back to back in every round, in alternating order, each round
      // started on a quiet machine; a ratio is only ever taken within one round.
      const [ta, tb, tc, td] = targets;
      const measure = async (target: (typeof targets)[number], round: number) =>
        load(
          `${target.label}, round ${round}`,
          target.counted ? target.server : undefined,
          target.server,
        );
      const rounds: HotReadRound[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        const start = await quietRoundStart();
        log(
          `round ${round}: load average ${start.loadAverage}${start.valid ? '' : ' (INVALID: not quiet)'}`,
        );
        const first = round % 2 === 1 ? ta : tb;
        const second = round % 2 === 1 ? tb : ta;
        const x = await measure(first, round);
        const y = await measure(second, round);
        const [ra, rb] = round % 2 === 1 ? [x, y] : [y, x];
        rounds.push({ round, ...start, a: ra, b: rb });
      }
      const quietC = await quietRoundStart();
      const c = { ...(await measure(tc, 1)), loadAverage: quietC.loadAverage };
      const quietD = await quietRoundStart();
      const d = { ...(await measure(td, 1)), loadAverage: quietD.loadAverage };
      for (const target of targets) await stop(target.server);
      const hotRead = hotReadRatios(rounds);
      const { a, b } = hotRead.representative;

      log(`memory: caching ${services} services in a fresh api`);
      const api = await startApi();
      const rssIdleBytes = api.rssBytes();
      await warm(api, services);
      const rssBytes = api.rssBytes();
      const stats = (await (
        await fetch(`${api.baseUrl}/admin/cache/stats`, { headers: ADMIN })
      ).json()) as {
        l1: { entries: number; bytes: number };
      };
      await stop(api);
      await stop(worker);

      log('cost of one memory hit: Warden L1 and cache-manager');
      const lookup = await measureLookupCost(document);

      const ratio = (x: RunFigures, y: RunFigures) =>
        round(x.requestsPerSecond / y.requestsPerSecond, 2);
      const figures = {
        services,
        seed: { events: envelopes.length, seconds: round(seedSeconds) },
        documentBytes: Buffer.byteLength(document),
        options,
        runs: { a, b, c, d },
        rounds,
        hotRead: { reqRatio: hotRead.reqRatio, cpuRatio: hotRead.cpuRatio, valid: hotRead.valid },
        ratios: { bOverA: hotRead.reqRatio, cOverA: ratio(c, a), bOverD: ratio(b, d) },
        memory: {
          rssIdleMb: round(rssIdleBytes / 2 ** 20),
          rssWithServicesCachedMb: round(rssBytes / 2 ** 20),
          l1Entries: stats.l1.entries,
          l1Bytes: stats.l1.bytes,
        },
        lookup,
        targets: TARGETS,
      };
      return {
        suite: 'read-path',
        title: readPathSuite.title,
        measuredAt: new Date().toISOString(),
        figures,
        markdown: markdown(figures),
      };
    } finally {
      await Promise.all([...running].map((p) => p.stop()));
      await env.dispose();
    }
  },
};

async function tierCounts(api: BenchProcess): Promise<TierCounts> {
  const stats = (await (
    await fetch(`${api.baseUrl}/admin/cache/stats`, { headers: ADMIN })
  ).json()) as {
    l1: { hits?: number; fastPathAnswers?: number };
    l2: { hits?: number };
    db: { loads: number };
  };
  return {
    fastPath: stats.l1.fastPathAnswers ?? 0,
    l1Hits: stats.l1.hits ?? 0,
    l2Hits: stats.l2.hits ?? 0,
    dbLoads: stats.db.loads,
  };
}

/** Reads every service and its effective view once, 32 at a time, so that all of them are cached. */
async function warm(api: BenchProcess, services: number): Promise<void> {
  const paths = [`/v1/services/${HOT}`, `/v1/services/${HOT}/effective?env=prod`];
  for (let i = 0; i < services; i++) {
    paths.push(`/v1/services/bench-svc-${i}`, `/v1/services/bench-svc-${i}/effective?env=prod`);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < paths.length) {
        const response = await fetch(`${api.baseUrl}${paths[next++]}`, { headers: READER });
        if (response.status !== 200) throw new Error(`warming answered ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
}

type ReadFigures = {
  services: number;
  seed: { events: number; seconds: number };
  documentBytes: number;
  options: BenchContext['options'];
  runs: Record<RunKey, RunFigures & { loadAverage?: number }>;
  rounds: HotReadRound[];
  hotRead: { reqRatio: number; cpuRatio: number; valid: boolean };
  ratios: { bOverA: number; cOverA: number; bOverD: number };
  memory: {
    rssIdleMb: number;
    rssWithServicesCachedMb: number;
    l1Entries: number;
    l1Bytes: number;
  };
  lookup: LookupCost;
};

function markdown(f: ReadFigures): string {
  const check = (ok: boolean) => (ok ? 'met' : '**not met**');
  const trust = f.hotRead.valid ? '' : ' (no round started quiet: INVALID, shown for reference)';
  const row = (r: RunFigures) =>
    `| ${r.label} | ${r.requestsPerSecond.toLocaleString('en')} | ${r.cpuMicrosPerRequest ?? '—'} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.non2xx + r.errors + r.timeouts} | ${
      r.served
        ? `L1 ${r.served.l1Hits} (of which before Nest ${r.served.fastPath}), Redis ${r.served.l2Hits}, PostgreSQL loads ${r.served.dbLoads}`
        : '—'
    } |`;
  const { a, b, c, d } = f.runs;
  const roundRows = f.rounds.map(
    (r) =>
      `| ${r.round} | ${r.loadAverage}${r.valid ? '' : ' (invalid)'} | ${r.a.requestsPerSecond.toLocaleString('en')} / ${r.a.cpuMicrosPerRequest} µs | ${r.b.requestsPerSecond.toLocaleString('en')} / ${r.b.cpuMicrosPerRequest} µs | ${round(r.b.requestsPerSecond / r.a.requestsPerSecond, 2)} | ${round((r.b.cpuMicrosPerRequest ?? NaN) / (r.a.cpuMicrosPerRequest ?? NaN), 2)} |`,
  );
  return [
    `autocannon, ${f.options.connections} connections, ${f.options.warmupSeconds} s warm-up then ${f.options.durationSeconds} s per run. ` +
      `a and b are measured back to back in each of ${f.options.rounds} rounds, in alternating order; each round waits for the ` +
      `1-minute load average to fall to 1.5 and is marked invalid if it does not. CPU per request is the server process's ` +
      `utime + stime (/proc/<pid>/stat) over the measured run divided by its requests. ` +
      `\`GET /v1/services/{slug}/effective?env=prod\` going round all ${(f.services + 1).toLocaleString('en')} services ` +
      `(views of ${f.documentBytes} bytes: ${POLICY_TYPES.length} policy types, 4 configuration entries; (a) answers that many bytes for any path). ` +
      `${f.services.toLocaleString('en')} services seeded through Kafka (${f.seed.events.toLocaleString('en')} events applied in ${f.seed.seconds} s).`,
    '',
    '| round | load average at start | a: req/s / CPU per request | b: req/s / CPU per request | b/a req/s | b/a CPU |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...roundRows,
    '',
    '| run | req/s | CPU µs/request | p50 ms | p99 ms | errors | served from (warm-up and run) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    row(a),
    row(b),
    row(c),
    row(d),
    '',
    '| figure | value | target | |',
    '| --- | ---: | ---: | --- |',
    `| hot read b/a, req/s (median of rounds)${trust} | ${f.hotRead.reqRatio} | ≥ ${TARGETS.bOverA} | ${check(f.hotRead.reqRatio >= TARGETS.bOverA)} |`,
    `| hot read b/a, CPU per request (median of rounds)${trust} | ${f.hotRead.cpuRatio} | ≤ ${TARGETS.cpuBOverA} | ${check(f.hotRead.cpuRatio <= TARGETS.cpuBOverA)} |`,
    `| c/a (Redis tier), load average ${c.loadAverage} | ${f.ratios.cOverA} | — | |`,
    `| b/d (memory over PostgreSQL), load average ${d.loadAverage} | ${f.ratios.bOverD} | ≥ ${TARGETS.bOverD} | ${check(f.ratios.bOverD >= TARGETS.bOverD)} |`,
    `| p99 of b | ${b.latencyMs.p99} ms | ≤ ${TARGETS.p99OfBMs} ms | ${check(b.latencyMs.p99 <= TARGETS.p99OfBMs)} |`,
    `| API RSS, ${f.services.toLocaleString('en')} services cached (${f.memory.l1Entries.toLocaleString('en')} L1 entries, ${round(f.memory.l1Bytes / 2 ** 20)} MiB counted) | ${f.memory.rssWithServicesCachedMb} MiB | < ${TARGETS.rssMb} MiB | ${check(f.memory.rssWithServicesCachedMb < TARGETS.rssMb)} |`,
    `| API RSS at start, nothing cached | ${f.memory.rssIdleMb} MiB | | |`,
    '',
    `One memory hit over ${f.lookup.entries.toLocaleString('en')} entries: Warden's \`peekLocal\` ${f.lookup.nanosPerHit.tieredPeek} ns (synchronous), ` +
      `\`TieredCache.get\` ${f.lookup.nanosPerHit.tieredGet} ns (awaited), cache-manager 7 \`get\` over a Keyv memory store ${f.lookup.nanosPerHit.cacheManagerGet} ns ` +
      `(see docs/caching.md for why the hot path does not go through cache-manager).`,
  ].join('\n');
}
