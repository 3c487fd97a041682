import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchSuite, SuiteResult } from './suite.js';
import { readPathSuite } from './read-path.bench.js';
import { writePathSuite } from './write-path.bench.js';
import { watchSuite } from './watch.bench.js';

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
  const sections = SUITES.filter((s) => results.suites[s.name]).map((s) => {
    const r = results.suites[s.name];
    return `## ${r.title}\n\n_Measured ${r.measuredAt}._\n\n${r.markdown}\n`;
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

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !SUITES.some((s) => s.name === name));
  if (unknown.length)
    throw new Error(
      `unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`,
    );
  const selected = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;

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

  for (const suite of selected) {
    const log = (message: string) => process.stdout.write(`[bench ${suite.name}] ${message}\n`);
    log(`running: ${suite.title}`);
    results.suites[suite.name] = await suite.run({ root: ROOT, options: options(), log });
  }
  writeFileSync(latestJson, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = render(results);
  writeFileSync(path.join(RESULTS, 'latest.md'), markdown);
  process.stdout.write(`\n${markdown}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
