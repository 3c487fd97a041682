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
}

/**
 * An idempotent `acks=all` producer that gathers concurrent sends into one
 * `sendBatch` (kafkajs has no linger of its own). Each caller's promise settles only
 * when the broker acknowledged the batch holding its message, so batching never
 * weakens the guarantee behind a `202`.
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
      idempotent: true,
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
      this.queue.push({ message, resolve, reject });
      if (!this.flushing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
    try {
      await this.withTimeout(this.sendBatch(batch.map((p) => p.message)));
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

  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    const ms = this.options.sendTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async disconnect(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) await new Promise((r) => setTimeout(r, 10));
    await this.producer.disconnect();
  }
}
