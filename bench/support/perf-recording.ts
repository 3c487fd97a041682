/** `BENCH_PERF_DIR`: a system-wide CPU recording of a round, for `perf report --sort pid,sym`. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { PERF_DIR } from './write-bench.js';

export interface PerfRecording {
  stop(): Promise<void>;
}

/**
 * Records every process's on-CPU stacks (`cpu-clock`, which counts CPU time, not wall
 * clock as `--cpu-prof` does) into `<BENCH_PERF_DIR>/<name>.data`; nothing without it.
 */
export function perfRecording(name: string): PerfRecording {
  if (!PERF_DIR) return { stop: async () => undefined };
  const output = path.join(PERF_DIR, `${name.replace(/[^a-z0-9.-]+/gi, '-')}.data`);
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '997', '-a', '-g', '-o', output], {
    stdio: 'ignore',
  });
  const exited = once(perf, 'exit').catch(() => undefined);
  perf.on('error', () => undefined);
  return {
    async stop() {
      perf.kill('SIGINT');
      await exited;
    },
  };
}
