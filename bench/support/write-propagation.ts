/** The write path's propagation rounds: a write on one API until it is visible on another. */
import type { BenchContext } from '../suite.js';
import { measurePropagation } from './propagation.js';
import { cpuShares, cpuSnapshot } from './cpu-census.js';
import { perfRecording } from './perf-recording.js';
import { quietRoundStart } from './quiet.js';
import { attempt, failed } from './round.js';
import { scrapeStages, stageDelta, stageQuantiles } from './write-stages.js';
import {
  ADMIN,
  PROFILE_DIR,
  PROPAGATION_CONNECTIONS,
  WRITER,
  slugOf,
  type WriteBench,
} from './write-bench.js';
import { rateLabel, type PropagationKind, type PropagationRuns } from './write-path-report.js';

/**
 * Each propagation run: writes per second (0 is one write at a time) and how the reader
 * instance is read. Both ways of reading are measured at each rate, in turn, the order
 * alternating from one rate to the next.
 */
const PROPAGATION_ROUNDS: PropagationKind[] = [
  { writesPerSecond: 200, reading: 'poll' },
  { writesPerSecond: 200, reading: 'long-poll' },
  { writesPerSecond: 500, reading: 'long-poll' },
  { writesPerSecond: 500, reading: 'poll' },
  { writesPerSecond: 0, reading: 'poll' },
  { writesPerSecond: 0, reading: 'long-poll' },
];
const SEQUENTIAL_WRITES = Number(process.env.BENCH_SEQUENTIAL_WRITES ?? 300);
/** Concurrent readers polling the second API instance during the propagation run. */
const READERS = 4;

/**
 * Propagation at 200 and at 500 writes/s, and one write at a time, each started on a
 * machine as quiet as it gets (the load average of each is recorded beside it). A round
 * that fails is reported with its reason (and the processes' last words), and the next
 * round still runs.
 */
export async function propagation(
  bench: WriteBench,
  context: BenchContext,
): Promise<PropagationRuns> {
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
    return PROPAGATION_ROUNDS.map((kind) => ({ ...kind, ...processes }));
  }
  const [worker, writer, reader] = processes;
  const named = { worker, writer, reader };
  const label = (kind: PropagationKind) => `propagation at ${rateLabel(kind)}`;
  try {
    const metricsOf = [writer, reader, worker].map((p) => ({
      url: `${p.baseUrl}/metrics`,
      headers: ADMIN,
    }));
    const runs: PropagationRuns = [];
    for (const kind of PROPAGATION_ROUNDS) {
      const { writesPerSecond, reading } = kind;
      const run = await attempt(label(kind), context.log, async () => {
        // The accept phase (or the round before) left a backlog: measure only once the
        // worker is idle.
        await bench.caughtUp(300_000);
        const before = await scrapeStages(metricsOf);
        const start = await quietRoundStart();
        const census = () =>
          cpuSnapshot({ worker: worker.pid, 'writer API': writer.pid, 'reader API': reader.pid });
        const cpuBefore = census();
        const recording = perfRecording(label(kind));
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
          reading,
        }).finally(() => recording.stop());
        const cpu = cpuShares(cpuBefore, census(), figures.accepted);
        context.log(`${label(kind)}: ${JSON.stringify(figures)}`);
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
        context.log(`stages at ${rateLabel(kind)}: ${JSON.stringify(stages)}`);
        return { ...figures, ...start, stages, cpu };
      });
      runs.push(failed(run) ? { ...kind, ...run } : run);
    }
    return runs;
  } finally {
    await Promise.all([bench.stop(writer), bench.stop(reader), bench.stop(worker)]);
  }
}
