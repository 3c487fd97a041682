import type { Consumer, ConsumerEvents, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { PartitionLanes, type LaneBatch, type LaneTicket } from './partition-lanes.js';
import { OffsetCommits } from './offset-commits.js';
import { RunAbandoned, RunMerger, type RunApplier } from './run-merger.js';
import { copyOfMessage, toIncoming } from './fetched-message.js';

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Kafka's timestamp of the message (ms since the epoch, as kafkajs gives it). */
  timestamp?: string;
}

/** The handler's verdict on a message it could not apply for a reason that will not pass. */
export class PermanentFailure extends Error {}

export interface ConsumerHooks {
  /** Applies one message. Throw to retry it; a PermanentFailure goes to `onPoison`. */
  handle(message: IncomingMessage): Promise<void>;
  /**
   * Applies a run at once: consecutive messages of one partition, or (with
   * `runsInFlight`) several such runs of different partitions merged, each still in order
   * and together. A transient error retries the run; any other error falls back to
   * `handle`, message by message, so that only the message at fault is retried and, in
   * the end, set aside.
   */
  handleBatch?(messages: IncomingMessage[], heartbeat: () => Promise<void>): Promise<void>;
  /** True when the error will pass by itself (a server away): retry without limit. */
  isTransient(error: unknown): boolean;
  /** Called for a message that failed permanently or too often: dead-letter it. */
  onPoison(message: IncomingMessage, reason: string): Promise<void>;
  onRetry?(message: IncomingMessage, error: unknown, attempt: number, delayMs: number): void;
  /** After a commit: the next offset to read and the partition's end when fetched. */
  onCommitted?(partition: number, offset: string, highWatermark: string): void;
  /** An offset commit failed (a rebalance, the broker away); the next one covers it. */
  onCommitFailed?(partition: number, offset: string, error: unknown): void;
  /** kafkajs gave up on the consumer; it is started again after `restartDelayMs`. */
  onCrash?(error: unknown, willRestart: boolean): void;
}

export interface ConsumerOptions {
  groupId: string;
  topic: string;
  /** Partitions processed at the same time; order within each is kept. */
  concurrency?: number;
  /** Messages of one partition in one run at most (also bounds one retry's work). */
  maxBatchSize?: number;
  /**
   * Group commit of small runs: at most this many runs of fewer than a tenth of
   * `maxBatchSize` messages apply at once across partitions, and the small runs that
   * arrive meanwhile are merged into one `handleBatch` call (see `RunMerger`), up to
   * `maxBatchSize` messages. Larger runs (a backlog) always apply side by side, one
   * transaction each. 0 (the default): every run applies on its own.
   */
  runsInFlight?: number;
  /**
   * Offset commits go out at least this far apart (100 ms by default): they only say
   * where to start after a restart, and one per run was a broker round trip each.
   */
  offsetCommitSpacingMs?: number;
  /** Attempts for an error that is not transient before the message is dead-lettered. */
  maxAttempts?: number;
  maxBackoffMs?: number;
  fromBeginning?: boolean;
  /** Where to start reading each partition, whatever the group committed (a replay). */
  startAt?: { partition: number; offset: string }[];
  restartDelayMs?: number;
}

type Listener = Parameters<Consumer['on']>;

/**
 * The consumer loop: in order per partition, an offset is committed only after its
 * messages were applied (or dead-lettered), so a crash re-delivers and never skips.
 * Runs of messages are applied together; a server that is away pauses the partition in
 * place with capped exponential backoff (heartbeating meanwhile); a message that keeps
 * failing for another reason is dead-lettered so it cannot block its partition.
 */
export class EventConsumer {
  private consumer: Consumer;
  private readonly listeners: Listener[] = [];
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private readonly lanes = new PartitionLanes();
  private readonly applyBatch?: RunApplier; // hooks.handleBatch, bound once
  private readonly merger?: RunMerger;
  private readonly offsets: OffsetCommits;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerOptions,
    private readonly hooks: ConsumerHooks,
  ) {
    this.consumer = this.create();
    this.offsets = new OffsetCommits(
      {
        send: (offsets) => this.consumer.commitOffsets(offsets),
        onCommitted: hooks.onCommitted?.bind(hooks),
        onCommitFailed: hooks.onCommitFailed?.bind(hooks),
      },
      options.offsetCommitSpacingMs ?? 100,
    );
    this.applyBatch = hooks.handleBatch?.bind(hooks);
    if (this.applyBatch && (options.runsInFlight ?? 0) > 0) {
      this.merger = new RunMerger(this.applyBatch, (error) => hooks.isTransient(error), {
        inFlight: options.runsInFlight!,
        maxMessages: options.maxBatchSize ?? 500,
      });
    }
  }

  private create(): Consumer {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      // A worker that died (SIGKILL) keeps its partitions until its session times out:
      // short enough that a replacement takes over within seconds, long enough for a
      // slow machine, since the loop heartbeats between runs and while it backs off.
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    for (const listener of this.listeners) consumer.on(...listener);
    // Emitted once every batch of the last generation was handed out (kafkajs rejoins
    // only then), before the first fetch of the new one.
    consumer.on(consumer.events.GROUP_JOIN, () => this.lanes.abandonAll());
    consumer.on(consumer.events.CRASH, (event) => {
      this.hooks.onCrash?.(event.payload.error, !this.stopping);
      // kafkajs restarts itself after a retriable crash; after any other it stays down,
      // which would leave the partitions unread until someone restarts the process.
      if (!event.payload.restart && !this.stopping) this.scheduleRestart();
    });
    return consumer;
  }

  get events(): ConsumerEvents {
    return this.consumer.events;
  }

  on(...listener: Listener): void {
    this.listeners.push(listener);
    this.consumer.on(...listener);
  }

  describeGroup() {
    return this.consumer.describeGroup();
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.consumer.connect();
    await this.consumer.subscribe({
      topic: this.options.topic,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 3,
      eachBatch: (payload) => this.processBatch(payload),
    });
    for (const { partition, offset } of this.options.startAt ?? []) {
      this.consumer.seek({ topic: this.options.topic, partition, offset });
    }
  }

  private scheduleRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void (async () => {
        if (this.stopping) return;
        await this.consumer.disconnect().catch(() => undefined);
        this.consumer = this.create();
        await this.start().catch((error: unknown) => {
          this.hooks.onCrash?.(error, true);
          this.scheduleRestart();
        });
      })();
    }, this.options.restartDelayMs ?? 5000);
    this.restartTimer.unref();
  }

  /**
   * Hands the batch to its partition's lane and returns at once, so that kafkajs fetches
   * the next batches (it fetches again only once every batch it handed out returned)
   * while this one is applied, and a slow partition does not hold up the others. The
   * fetch position moves past the batch now; its offsets are committed only once it is
   * applied, and a lane that stops short (the broker away, a heartbeat that meets a
   * rebalance) is sought back to its first message not applied. At most one batch waits
   * behind the one applying, and the batches fetched meanwhile join it (up to a run).
   */
  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    // Not resolved: kafkajs fetches the batch again, from the seek that is pending (a
    // rewind of its lane, a replay's start) or from the committed offset (a new generation).
    if (this.stopping || batch.messages.length === 0 || payload.isStale()) return;
    const handed: LaneBatch<KafkaMessage> = {
      messages: [...batch.messages],
      highWatermark: batch.highWatermark,
    };
    const ticket = await this.lanes.enter(batch.topic, batch.partition, handed, {
      joinUpTo: this.options.maxBatchSize ?? 500,
      ownCopy: copyOfMessage,
    });
    if (ticket && (this.stopping || !ticket.current() || payload.isStale())) return;
    payload.resolveOffset(batch.lastOffset());
    ticket?.enqueue(() =>
      this.applyInLane(payload, handed, ticket).catch((error: unknown) =>
        this.hooks.onCrash?.(error, true),
      ),
    );
  }

  private async applyInLane(
    payload: EachBatchPayload,
    handed: LaneBatch<KafkaMessage>,
    ticket: LaneTicket,
  ): Promise<void> {
    const { batch } = payload;
    const progress = { next: handed.messages[0].offset as string | undefined };
    try {
      await this.processRuns(payload, handed, ticket.current, progress);
    } catch {
      // The heartbeat after a commit failed (a rebalance): kafkajs rejoins by itself.
    }
    // Only a batch that still counts seeks: one whose lane moved on, or that a pending
    // seek supersedes, would move the position past messages that nobody applied.
    if (progress.next === undefined || this.stopping || !ticket.current()) return;
    if (!payload.isRunning() || payload.isStale()) return;
    ticket.rewind();
    try {
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: progress.next });
    } catch {
      // Not running any more: it starts from the committed offset again.
    }
  }

  private async processRuns(
    payload: EachBatchPayload,
    { messages, highWatermark }: LaneBatch<KafkaMessage>,
    current: () => boolean,
    progress: { next?: string },
  ): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    // Stale: a seek (a replay's start, or this lane's own rewind) supersedes the batch.
    const owned = () => isRunning() && !isStale() && current() && !this.stopping;
    const size = this.options.maxBatchSize ?? 500;
    for (let start = 0; start < messages.length; start += size) {
      if (!owned()) return;
      const run = messages
        .slice(start, start + size)
        .map((m) => toIncoming(batch.topic, batch.partition, m));
      const done = await this.processRun(run, heartbeat, owned);
      if (done === 0) return;
      const last = run[done - 1].offset;
      const next = (BigInt(last) + 1n).toString();
      progress.next = done < run.length ? next : messages[start + size]?.offset;
      // Behind the run, without holding up the next one or kafkajs's next fetch.
      this.offsets.commit(batch.topic, batch.partition, next, highWatermark);
      await heartbeat();
      if (done < run.length) return;
    }
  }

  /** Applies a run; answers how many of its first messages are done. */
  private async processRun(
    run: IncomingMessage[],
    heartbeat: () => Promise<void>,
    owned: () => boolean,
  ): Promise<number> {
    const merger = this.merger;
    const merged = merger?.takes(run) === true;
    const applyRun: RunApplier | undefined = merged
      ? (messages, beat) => merger.submit(messages, beat, owned)
      : this.applyBatch;
    // A lone message the merger already tried on its own has had its first attempt.
    let tried = 0;
    if (applyRun && (merged || run.length > 1)) {
      for (let attempt = 1; ; attempt++) {
        try {
          await applyRun(run, heartbeat);
          return run.length;
        } catch (error) {
          if (error instanceof RunAbandoned) return 0;
          if (error instanceof PermanentFailure || !this.hooks.isTransient(error)) {
            if (run.length === 1) tried = 1;
            break;
          }
          if (!(await this.backOff(run[0], error, attempt, heartbeat, owned))) return 0;
        }
      }
    }
    for (let i = 0; i < run.length; i++) {
      if (!(await this.processWithRetry(run[i], heartbeat, owned, tried))) return i;
    }
    return run.length;
  }

  /** Returns false when the loop must stop (shutdown or rebalance) before the message is done. */
  private async processWithRetry(
    message: IncomingMessage,
    heartbeat: () => Promise<void>,
    owned: () => boolean,
    tried = 0,
  ): Promise<boolean> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = tried + 1; ; attempt++) {
      if (!owned()) return false;
      try {
        await this.hooks.handle(message);
        return true;
      } catch (error) {
        let failure = error;
        const transient = !(error instanceof PermanentFailure) && this.hooks.isTransient(error);
        if (!transient && (error instanceof PermanentFailure || attempt >= maxAttempts)) {
          const reason = error instanceof Error ? error.message : String(error);
          try {
            await this.hooks.onPoison(message, reason);
            return true;
          } catch (poisonError) {
            // Dead-lettering needs servers too: keep retrying rather than skipping.
            failure = poisonError;
          }
        }
        if (!(await this.backOff(message, failure, attempt, heartbeat, owned))) return false;
      }
    }
  }

  /** Waits with capped exponential backoff, heartbeating; false if the partition was lost. */
  private async backOff(
    message: IncomingMessage,
    error: unknown,
    attempt: number,
    heartbeat: () => Promise<void>,
    owned: () => boolean,
  ): Promise<boolean> {
    const delay = Math.min(this.options.maxBackoffMs ?? 5000, 100 * 2 ** Math.min(attempt - 1, 10));
    this.hooks.onRetry?.(message, error, attempt, delay);
    const until = Date.now() + delay;
    while (Date.now() < until) {
      if (!owned()) return false;
      await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
      try {
        await heartbeat();
      } catch {
        // A rebalance (or the broker away): give the partition back to kafkajs, which
        // rejoins and fetches again from the committed offset.
        return false;
      }
    }
    return owned();
  }

  /** Finishes the run in flight, commits it, leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    // Let the runs in flight finish and commit (no new one starts), then leave the group.
    await this.lanes.settled();
    await this.offsets.settled();
    await this.consumer.disconnect();
  }
}
