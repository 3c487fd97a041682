import { Spacing } from './spacing.js';

/** Where a partition's reading resumes after a restart, once its runs are applied. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: string;
}

export interface OffsetCommitHooks {
  /** Sends one OffsetCommit request for all of `offsets` (kafkajs `commitOffsets`). */
  send(offsets: PartitionOffset[]): Promise<void>;
  /** After a commit: the next offset to read and the partition's end when fetched. */
  onCommitted?(partition: number, offset: string, highWatermark: string): void;
  /** A commit failed (a rebalance, the broker away); the next one covers it. */
  onCommitFailed?(partition: number, offset: string, error: unknown): void;
}

/**
 * The consumer's offset commits, off the path of the runs: the runs are already
 * committed in PostgreSQL, so an offset only says where to start after a restart. One
 * request is in flight at a time, for every partition that moved meanwhile, with the
 * latest offset of each: a commit per run and partition was a broker round trip (and an
 * append to `__consumer_offsets`) each. Requests are at least `spacingMs` apart (the
 * first after a quiet spell goes at once), so that at a few hundred runs a second the
 * broker and the worker are not woken for each. A failed request is covered by the next;
 * a lost one re-delivers runs that then apply nothing twice.
 */
export class OffsetCommits {
  private readonly due = new Map<string, PartitionOffset & { highWatermark: string }>();
  private sending?: Promise<void>;
  /** Ends the wait for the spacing at once (`settled`). */
  private hurry?: () => void;
  private hurrying = false;
  private readonly spacing: Spacing;

  constructor(
    private readonly hooks: OffsetCommitHooks,
    spacingMs = 0,
  ) {
    this.spacing = new Spacing(spacingMs);
  }

  /** `offset` of the partition is to be committed; an earlier one still due is replaced. */
  commit(topic: string, partition: number, offset: string, highWatermark: string): void {
    const key = `${topic}:${partition}`;
    // A lane that lost its partition may finish a run late: never move a due offset back.
    const due = this.due.get(key);
    if (due && BigInt(due.offset) > BigInt(offset)) return;
    this.due.set(key, { topic, partition, offset, highWatermark });
    // Started after this assignment, and cleared in the same turn as its last check of
    // `due`: an offset asked for at any moment is either taken by the loop or starts one.
    this.sending ??= Promise.resolve().then(() => this.sendAll());
  }

  /** Resolves once every offset asked for so far was sent (committed or failed). */
  async settled(): Promise<void> {
    this.hurrying = true;
    try {
      while (this.sending) {
        this.hurry?.();
        await this.sending;
      }
    } finally {
      this.hurrying = false;
    }
  }

  private async spaced(): Promise<void> {
    const wait = this.spacing.wait();
    if (wait <= 0 || this.hurrying) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.hurry = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.hurry = undefined;
  }

  /** A hook that throws (a metric, a log) must not stop the commits nor a clean stop. */
  private report(hook: () => void): void {
    try {
      hook();
    } catch {
      // The hooks only report; the offsets are committed or failed either way.
    }
  }

  private async sendAll(): Promise<void> {
    try {
      while (this.due.size > 0) {
        await this.spaced();
        const offsets = [...this.due.values()];
        this.due.clear();
        this.spacing.started();
        try {
          await this.hooks.send(
            offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
          );
        } catch (error) {
          this.report(() => {
            for (const o of offsets) this.hooks.onCommitFailed?.(o.partition, o.offset, error);
          });
          continue;
        }
        this.report(() => {
          for (const o of offsets) this.hooks.onCommitted?.(o.partition, o.offset, o.highWatermark);
        });
      }
    } finally {
      this.sending = undefined;
    }
  }
}
