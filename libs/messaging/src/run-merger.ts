import type { IncomingMessage } from './event-consumer.js';

/** Applies one run of messages in one transaction (`ConsumerHooks.handleBatch`). */
export type RunApplier = (run: IncomingMessage[], heartbeat: () => Promise<void>) => Promise<void>;

export interface RunMergerOptions {
  /** Merged runs applying at the same time; more arrive merged into the next. */
  inFlight: number;
  /** Messages in one merged run at most (a submission larger than that runs alone). */
  maxMessages: number;
}

/**
 * The submitter stopped owning its run while it waited (a rebalance, a rewind of its
 * lane, shutdown): it was not applied, and comes again from where its partition resumes.
 */
export class RunAbandoned extends Error {
  constructor() {
    super('the run stopped counting while it waited to be applied');
    this.name = 'RunAbandoned';
  }
}

interface Submission {
  run: IncomingMessage[];
  heartbeat: () => Promise<void>;
  /** False once the submitter's partition or lane moved on (see `EventConsumer`). */
  owned: () => boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit across partitions. Each partition's lane submits its runs here one at a
 * time, in order; a run submitted while `inFlight` runs are applying waits, and every run
 * that waits is applied with the others in one call, so in one transaction. A small run
 * costs about as many round trips to PostgreSQL, Redis and the other API instances as a
 * large one, so under load this trades many small transactions — each paying them — for
 * few larger ones, and a run that arrives while the worker is idle starts at once.
 *
 * Merging keeps every guarantee of a lane's own run: a lane's messages stay in order and
 * together, a lane submits its next run only once this one settled, and a run whose lane
 * stopped owning it while it waited is handed back unapplied (`RunAbandoned`), as a run
 * not yet started would be. Runs of different partitions are independent: an aggregate's
 * events share one partition, and the order across partitions was never defined. A merged run
 * that fails for a reason that will not pass is applied again submission by submission,
 * so one lane's bad message never sends the others' runs message by message; a transient
 * failure is handed to every submitter, each of which backs off as before.
 */
export class RunMerger {
  private readonly waiting: Submission[] = [];
  private applying = 0;

  constructor(
    private readonly apply: RunApplier,
    private readonly isTransient: (error: unknown) => boolean,
    private readonly options: RunMergerOptions,
  ) {}

  /**
   * True for a run small enough to merge: under a tenth of `maxMessages`. A backlog's runs
   * are large and gain from applying side by side, each transaction's database work
   * overlapping another's CPU; small runs gain from sharing one.
   */
  takes(run: readonly IncomingMessage[]): boolean {
    return run.length < this.options.maxMessages / 10;
  }

  /**
   * Resolves once `run` was applied (alone or merged), rejects as `apply` would have, or
   * with `RunAbandoned` when `owned` turned false before it was taken.
   */
  submit(
    run: IncomingMessage[],
    heartbeat: () => Promise<void>,
    owned: () => boolean = () => true,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ run, heartbeat, owned, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.applying < this.options.inFlight) {
      const merged = this.takeMerged();
      if (merged.length === 0) return;
      this.applying += 1;
      void this.applyMerged(merged)
        // Nothing may leave a submitter waiting: its lane, and a clean stop, wait for it.
        .catch((error: unknown) => {
          for (const submission of merged) submission.reject(error);
        })
        .finally(() => {
          this.applying -= 1;
          this.pump();
        });
    }
  }

  /** The waiting submissions still owned, oldest first, up to `maxMessages` (at least one). */
  private takeMerged(): Submission[] {
    for (const abandoned of this.waiting.filter((s) => !s.owned())) {
      abandoned.reject(new RunAbandoned());
    }
    const owned = this.waiting.filter((s) => s.owned());
    this.waiting.splice(0, this.waiting.length, ...owned);
    if (this.waiting.length === 0) return [];
    let count = this.waiting[0].run.length;
    let taken = 1;
    while (taken < this.waiting.length) {
      const next = this.waiting[taken].run.length;
      if (count + next > this.options.maxMessages) break;
      count += next;
      taken += 1;
    }
    return this.waiting.splice(0, taken);
  }

  private async applyMerged(merged: Submission[]): Promise<void> {
    if (merged.length === 1) return this.applyAlone(merged[0]);
    try {
      await this.apply(
        merged.flatMap((s) => s.run),
        merged[0].heartbeat,
      );
    } catch (error) {
      if (this.isTransient(error)) {
        for (const submission of merged) submission.reject(error);
        return;
      }
      // The transaction rolled back as a whole: find whose run it was.
      for (const submission of merged) await this.applyAlone(submission);
      return;
    }
    for (const submission of merged) submission.resolve();
  }

  private async applyAlone({ run, heartbeat, resolve, reject }: Submission): Promise<void> {
    try {
      await this.apply(run, heartbeat);
      resolve();
    } catch (error) {
      reject(error);
    }
  }
}
