import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';

/** Kafka did not acknowledge in time: the write was not accepted and must be retried. */
export class BrokerUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Kafka did not acknowledge the event: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'BrokerUnavailableError';
  }
}

export interface OutgoingMessage {
  topic: string;
  key: string;
  value: string | Buffer;
  headers?: Record<string, string>;
}

interface Pending {
  message: OutgoingMessage;
  resolve: () => void;
  reject: (error: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout;
}

/**
 * An `acks=all` producer that gathers concurrent publishes into one `sendBatch` (kafkajs
 * has no linger of its own). Each caller's promise settles only when the broker
 * acknowledged the batch holding its message, so batching never weakens the guarantee
 * behind a `202`; a caller not acknowledged within `sendTimeoutMs` is refused.
 *
 * One `sendBatch` at a time, always: a batch whose callers were already refused is
 * still awaited before the next one goes, so that retries keep the order of the log.
 * The producer is deliberately not kafkajs's idempotent one: after a batch that failed
 * ambiguously (written, but the answer lost), kafkajs reuses its sequence numbers for
 * the next batch, which the broker then takes for a duplicate and drops while kafkajs
 * reports success, losing accepted events. Without idempotence such a retry may write a
 * message twice instead, which costs nothing: consumers apply an event id once.
 */
export class EventPublisher {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private flushing = false;
  private connected?: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly options: { sendTimeoutMs?: number; maxBatch?: number } = {},
  ) {
    this.producer = kafka.producer({
      idempotent: false,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = undefined;
    });
  }

  async connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  publish(message: OutgoingMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        message,
        settled: false,
        resolve: () => settle(pending, () => resolve()),
        reject: (error) => settle(pending, () => reject(error)),
        timer: setTimeout(() => {
          // Not sent yet: it never will be. Already in a batch: the batch may still land.
          this.queue = this.queue.filter((p) => p !== pending);
          pending.reject(
            new BrokerUnavailableError(
              new Error(`no acknowledgement within ${this.sendTimeoutMs} ms`),
            ),
          );
        }, this.sendTimeoutMs),
      };
      this.queue.push(pending);
      if (!this.flushing) setImmediate(() => void this.flush());
    });
  }

  private get sendTimeoutMs(): number {
    return this.options.sendTimeoutMs ?? 5000;
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
    try {
      await this.sendBatch(batch.map((p) => p.message));
      for (const p of batch) p.resolve();
    } catch (error) {
      const failure = new BrokerUnavailableError(error);
      for (const p of batch) p.reject(failure);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) setImmediate(() => void this.flush());
    }
  }

  private async sendBatch(messages: OutgoingMessage[]): Promise<void> {
    await this.connect();
    const byTopic = new Map<string, Message[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic) ?? [];
      list.push({ key: m.key, value: m.value, headers: m.headers });
      byTopic.set(m.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
    });
  }

  async disconnect(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) await new Promise((r) => setTimeout(r, 10));
    await this.producer.disconnect();
  }
}

function settle(pending: Pending, done: () => void): void {
  if (pending.settled) return;
  pending.settled = true;
  clearTimeout(pending.timer);
  done();
}
