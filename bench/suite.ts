/** The shape every benchmark suite shares, so that `bench/run.ts` can run and report any of them. */

export interface BenchOptions {
  /** Measured seconds per load run (at least 10 for the published figures). */
  durationSeconds: number;
  /** Seconds of load before each measured run, thrown away. */
  warmupSeconds: number;
  connections: number;
  /** How many times each load run is repeated; the best is reported (the machine is shared). */
  rounds: number;
}

export interface BenchContext {
  /** The repository root (the built apps are under `dist/`). */
  root: string;
  options: BenchOptions;
  log(message: string): void;
}

export interface SuiteResult {
  suite: string;
  title: string;
  measuredAt: string;
  /** Everything measured, for `latest.json`. */
  figures: Record<string, unknown>;
  /** The suite's section of `latest.md`. */
  markdown: string;
}

export interface BenchSuite {
  /** Selects the suite on the command line: `npm run bench -- read-path`. */
  name: string;
  title: string;
  run(context: BenchContext): Promise<SuiteResult>;
}
