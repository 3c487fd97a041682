import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** The handler's verdict on a message it could not apply for a reason that will not pass. */
export class PermanentFailure extends Error {}

export interface ConsumerHooks {
  /** Applies one message. Throw to retry it; a PermanentFailure goes to `onPoison`. */
  handle(message: IncomingMessage): Promise<void>;
  /** True when the error will pass by itself (a server away): retry without limit. */
  isTransient(error: unknown): boolean;
  /** Called for a message that failed permanently or too often: dead-letter it. */
  onPoison(message: IncomingMessage, reason: string): Promise<void>;
  onRetry?(message: IncomingMessage, error: unknown, attempt: number, delayMs: number): void;
  onCommitted?(partition: number, offset: string): void;
}

export interface ConsumerOptions {
  groupId: string;
  topic: string;
  /** Partitions processed at the same time; order within each is kept. */
  concurrency?: number;
  /** Attempts for an error that is not transient before the message is dead-lettered. */
  maxAttempts?: number;
  maxBackoffMs?: number;
  fromBeginning?: boolean;
}

/**
 * The consumer loop: in order per partition, an offset is committed only after its
 * message was applied (or dead-lettered), so a crash re-delivers and never skips. A
 * server that is away pauses the partition in place with capped exponential backoff
 * (heartbeating meanwhile); a message that keeps failing for another reason is
 * dead-lettered so it cannot block its partition.
 */
export class EventConsumer {
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly options: ConsumerOptions,
    private readonly hooks: ConsumerHooks,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
    });
  }

  get events() {
    return this.consumer.events;
  }

  on(...args: Parameters<Consumer['on']>) {
    return this.consumer.on(...args);
  }

  describeGroup() {
    return this.consumer.describeGroup();
  }

  async start(): Promise<void> {
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
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    let lastDone: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const incoming = toIncoming(batch.topic, batch.partition, message);
      const done = await this.processWithRetry(incoming, heartbeat, () => isRunning() && !isStale());
      if (!done) break;
      resolveOffset(message.offset);
      lastDone = message.offset;
      await heartbeat();
    }
    if (lastDone !== undefined) {
      const next = (BigInt(lastDone) + 1n).toString();
      await this.consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: next },
      ]);
      this.hooks.onCommitted?.(batch.partition, next);
    }
  }

  /** Returns false when the loop must stop (shutdown or rebalance) before the message is done. */
  private async processWithRetry(
    message: IncomingMessage,
    heartbeat: () => Promise<void>,
    stillOwned: () => boolean,
  ): Promise<boolean> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.hooks.handle(message);
        return true;
      } catch (error) {
        const transient = !(error instanceof PermanentFailure) && this.hooks.isTransient(error);
        if (!transient && (error instanceof PermanentFailure || attempt >= maxAttempts)) {
          const reason = error instanceof Error ? error.message : String(error);
          try {
            await this.hooks.onPoison(message, reason);
            return true;
          } catch (poisonError) {
            // Dead-lettering needs servers too: keep retrying rather than skipping.
            error = poisonError;
          }
        }
        const delay = Math.min(
          (this.options.maxBackoffMs ?? 5000),
          100 * 2 ** Math.min(attempt - 1, 10),
        );
        this.hooks.onRetry?.(message, error, attempt, delay);
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (!stillOwned()) return false;
          await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
          await heartbeat().catch(() => undefined);
        }
      }
    }
  }

  async stop(): Promise<void> {
    // kafkajs waits for the batch in flight, commits, then leaves the group.
    await this.consumer.disconnect();
  }
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: message.value,
    headers,
  };
}
