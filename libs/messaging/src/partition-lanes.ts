/** Batches per partition applying or waiting: one applies while the next is fetched. */
export const LANE_DEPTH = 2;

/** The messages of a batch handed to a lane; later batches may join it while it waits. */
export interface LaneBatch<M> {
  messages: M[];
  /** The partition's end when the last of its messages was fetched. */
  highWatermark: string;
}

interface Lane {
  /** The batch applying and those waiting behind it, in order. */
  queued: Promise<void>[];
  /** Moves on when the batches handed out so far stop counting (see `PartitionLanes`). */
  epoch: number;
  /** The batch queued and not started yet, with the epoch it was handed out in. */
  waiting?: { batch: LaneBatch<unknown>; epoch: number };
}

/** A batch's place in its partition's lane, taken when kafkajs handed the batch out. */
export interface LaneTicket {
  /**
   * False once the lane moved on past the batch: its messages not applied yet will come
   * again from where the lane was sought back to, or from the group's committed offset.
   */
  current(): boolean;
  /** Drops this batch's rest and every batch behind it; the caller seeks the partition back. */
  rewind(): void;
  /** Applies the batch after those ahead of it in the lane; `apply` must not reject. */
  enqueue(apply: () => Promise<void>): void;
}

/**
 * The lanes of the partitions this member reads. Every batch handed out is contiguous
 * with the one before it in its lane, so a lane that stops short can seek back to its
 * first message not applied. That holds only for batches handed out since the lane's
 * last rewind and in the group's current generation, and a ticket is dated when its
 * batch is handed out — not when room in the lane is found: a batch fetched before a
 * rewind, or before a rebalance made kafkajs start again from the committed offsets, is
 * never applied and never seeks.
 */
export class PartitionLanes {
  private readonly lanes = new Map<string, Lane>();
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];

  /**
   * Waits until the lane has room for the batch, or until the batch stopped counting.
   * Undefined: the batch joined the one waiting in the lane (same generation, together at
   * most `joinUpTo` messages), and is applied with it — a run of all that arrived while
   * the lane was busy, rather than a fetch loop held up for every partition until the
   * lane has room. A joining batch's messages are kept as `ownCopy` makes them: kafkajs's
   * are slices of their whole fetch response, which would otherwise stay in memory for
   * each of them, up to a run's worth of responses.
   */
  async enter<M>(
    topic: string,
    partition: number,
    batch: LaneBatch<M>,
    { joinUpTo, ownCopy }: { joinUpTo: number; ownCopy: (message: M) => M },
  ): Promise<LaneTicket | undefined> {
    const key = `${topic}:${partition}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queued: [], epoch: 0 };
      this.lanes.set(key, lane);
    }
    const owner = lane;
    const waiting = owner.waiting;
    if (
      waiting?.epoch === owner.epoch &&
      waiting.batch.messages.length + batch.messages.length <= joinUpTo
    ) {
      waiting.batch.messages.push(...batch.messages.map(ownCopy));
      // A fetch after a leader's change may report a lower end: keep the highest seen.
      if (BigInt(batch.highWatermark) > BigInt(waiting.batch.highWatermark)) {
        waiting.batch.highWatermark = batch.highWatermark;
      }
      return undefined;
    }
    const epoch = owner.epoch;
    const current = () => owner.epoch === epoch;
    while (owner.queued.length >= LANE_DEPTH && current()) await owner.queued[0];
    const entry = { batch, epoch };
    return {
      current,
      rewind: () => {
        if (current()) owner.epoch += 1;
      },
      enqueue: (apply) => {
        const previous = owner.queued.at(-1) ?? Promise.resolve();
        owner.waiting = entry;
        // Once it starts, the batch is read as it stands: nothing joins it any more.
        const applied = previous.then(() => {
          if (owner.waiting === entry) owner.waiting = undefined;
          return apply();
        });
        owner.queued.push(applied);
        this.inFlight += 1;
        void applied.finally(() => {
          owner.queued = owner.queued.filter((queued) => queued !== applied);
          this.inFlight -= 1;
          if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
      },
    };
  }

  /**
   * The member joined a new generation of the group: kafkajs fetches every partition it
   * was given again from the committed offset, and the batches handed out before belong
   * to partitions that may be another member's now. Each lane finishes the run it is
   * applying (it commits only what it applied) and drops the rest.
   */
  abandonAll(): void {
    for (const lane of this.lanes.values()) lane.epoch += 1;
  }

  /** Resolves once no batch is applying or waiting in any lane. */
  async settled(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}
