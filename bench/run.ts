import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchSuite, SuiteResult } from './suite.js';
import { readPathSuite } from './read-path.bench.js';
import { writePathSuite } from './write-path.bench.js';
import { watchSuite } from './watch.bench.js';
import { attempt, failed } from './support/round.js';
import { rateOf } from './support/write-path-report.js';

/**
 * `npm run bench [-- suite …]`: runs the suites (all by default) one after the other and
 * merges their results into bench/results/latest.json and latest.md, keeping the last
 * results of the suites not run this time. A suite is one `bench/*.bench.ts` file listed here.
 */
const SUITES: BenchSuite[] = [readPathSuite, writePathSuite, watchSuite];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS = path.join(ROOT, 'bench/results');

interface Results {
  generatedAt: string;
  machine: Record<string, unknown>;
  suites: Record<string, SuiteResult>;
}

function options(): BenchOptions {
  const positive = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`${name} must be a non-negative number`);
    return value;
  };
  return {
    durationSeconds: positive('BENCH_DURATION_SECONDS', 10),
    warmupSeconds: positive('BENCH_WARMUP_SECONDS', 3),
    connections: positive('BENCH_CONNECTIONS', 50),
    rounds: Math.max(1, Math.round(positive('BENCH_ROUNDS', 3))),
  };
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function render(results: Results): string {
  const m = results.machine;
  const names = SUITES.flatMap((s) => [s.name, `${s.name}-cluster`]);
  const sections = names
    .filter((name) => results.suites[name])
    .map((name) => {
      const r = results.suites[name];
      const beside = name.endsWith('-cluster')
        ? clusterBeside(results.suites[name.slice(0, -'-cluster'.length)], r)
        : '';
      return `## ${r.title}\n\n_Measured ${r.measuredAt}._\n\n${r.markdown}\n${beside}`;
    });
  return [
    '# Warden benchmarks',
    '',
    `Written by \`npm run bench\` at ${results.generatedAt} on ${String(m.cpus)} × ${String(m.cpuModel)}, ` +
      `${String(m.memoryGb)} GB, Node ${String(m.node)} (load average at start ${JSON.stringify(m.loadAverageAtStart)}). ` +
      'The load generator runs on the same machine as the servers it measures.',
    '',
    ...sections,
  ].join('\n');
}

/**
 * `--cluster`: the suites that measure the write path, run again on the local cluster
 * (KAFKA_BROKERS and REDIS_CLUSTER_NODES, set by scripts/bench.sh) and kept under a name
 * of their own, so that latest.md shows them beside the single-node figures.
 */
const CLUSTER_SUITES: BenchSuite[] = [writePathSuite];

function onCluster(suite: BenchSuite): BenchSuite {
  return {
    name: `${suite.name}-cluster`,
    title: `${suite.title}, on the cluster (3 Kafka brokers, replication factor 3, min.insync.replicas 2; Redis Cluster of 3 masters with a replica each)`,
    run: async (context) => ({ ...(await suite.run(context)), suite: `${suite.name}-cluster` }),
  };
}

/** A round's figures, or (`error`) why it could not be measured. */
interface WriteFigures {
  apply: { eventsPerSecond: number; loadAverage: number; error?: string };
  /** Absent from a quick run (BENCH_WRITE_QUICK). */
  accept?: { acceptedPerSecond: number; loadAverage: number; error?: string };
  propagation: {
    writesPerSecond: number;
    /** Absent from results written before the long-polling readers: polling. */
    reading?: 'poll' | 'long-poll';
    p50Ms: number;
    p99Ms: number;
    loadAverage: number;
    error?: string;
  }[];
}

/** The cluster's write-path figures beside the last single-node run's, one row each. */
function clusterBeside(single: SuiteResult | undefined, cluster: SuiteResult): string {
  if (!single) return '';
  const a = single.figures as unknown as WriteFigures;
  const b = cluster.figures as unknown as WriteFigures;
  const at = (f: { loadAverage: number }) => ` (load ${f.loadAverage})`;
  const or = <F extends { error?: string }>(f: F | undefined, cell: (f: F) => string) =>
    f === undefined ? '—' : f.error !== undefined ? `failed: ${f.error}` : cell(f);
  const applied = (f: WriteFigures['apply']) => `${f.eventsPerSecond}${at(f)}`;
  const accepted = (f: NonNullable<WriteFigures['accept']>) => `${f.acceptedPerSecond}${at(f)}`;
  const visible = (f: WriteFigures['propagation'][number]) =>
    `p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms${at(f)}`;
  const rows = [
    `| apply, events/s | ${or(a.apply, applied)} | ${or(b.apply, applied)} |`,
    `| accept, \`202\`s/s | ${or(a.accept, accepted)} | ${or(b.accept, accepted)} |`,
    ...b.propagation.map((p) => {
      const reading = (x: { reading?: 'poll' | 'long-poll' }) => x.reading ?? 'poll';
      const s = a.propagation.find(
        (x) => x.writesPerSecond === p.writesPerSecond && reading(x) === reading(p),
      );
      const rate = rateOf({ writesPerSecond: p.writesPerSecond, reading: reading(p) });
      return `| propagation, ${rate} | ${or(s, visible)} | ${or(p, visible)} |`;
    }),
  ];
  return [
    '',
    `Beside the single-node run of ${single.measuredAt}:`,
    '',
    '| write path | single node | cluster |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const cluster = process.argv.includes('--cluster');
  if (cluster && !process.env.REDIS_CLUSTER_NODES)
    throw new Error('--cluster: run it as `npm run bench -- --cluster` (it starts the cluster)');
  const wanted = process.argv.slice(2).filter((arg) => arg !== '--cluster');
  const known = cluster ? CLUSTER_SUITES : SUITES;
  const unknown = wanted.filter((name) => !known.some((s) => s.name === name));
  if (unknown.length)
    throw new Error(
      `unknown suite(s) ${unknown.join(', ')}; known${cluster ? ' with --cluster' : ''}: ${known.map((s) => s.name).join(', ')}`,
    );
  const chosen = wanted.length ? known.filter((s) => wanted.includes(s.name)) : known;
  const selected = cluster ? chosen.map(onCluster) : chosen;

  mkdirSync(RESULTS, { recursive: true });
  const latestJson = path.join(RESULTS, 'latest.json');
  const previous: Results | undefined = existsSync(latestJson)
    ? (JSON.parse(readFileSync(latestJson, 'utf8')) as Results)
    : undefined;
  const results: Results = {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    suites: { ...previous?.suites },
  };

  // A suite that fails is reported and its last results kept; the others still run.
  const failures: string[] = [];
  for (const suite of selected) {
    const log = (message: string) => process.stdout.write(`[bench ${suite.name}] ${message}\n`);
    log(`running: ${suite.title}`);
    const result = await attempt(suite.name, log, () =>
      suite.run({ root: ROOT, options: options(), log }),
    );
    if (failed(result)) failures.push(`${suite.name}: ${result.error}`);
    else results.suites[suite.name] = result;
  }
  writeFileSync(latestJson, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = render(results);
  writeFileSync(path.join(RESULTS, 'latest.md'), markdown);
  process.stdout.write(`\n${markdown}\n`);
  if (failures.length)
    throw new Error(`suites failed (their last results kept):\n${failures.join('\n')}`);
}

main().then(
  // A client of a suite that keeps a timer (the Redis Cluster client's slot refresh after
  // its disconnect) must not keep the run, and the cluster it started, alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
