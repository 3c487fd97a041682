/** A fetched Kafka message, as the consumer loop keeps it and hands it on. */
import type { KafkaMessage } from 'kafkajs';
import type { IncomingMessage } from './event-consumer.js';

/** A message whose buffers are its own, not slices of the fetch response it came in. */
export function copyOfMessage(message: KafkaMessage): KafkaMessage {
  const own = (buffer: Buffer | null) => (buffer ? Buffer.from(buffer) : buffer);
  const headers: NonNullable<KafkaMessage['headers']> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Array.isArray(value)
      ? value.map((v) => (Buffer.isBuffer(v) ? Buffer.from(v) : v))
      : Buffer.isBuffer(value)
        ? Buffer.from(value)
        : value;
  }
  return { ...message, key: own(message.key), value: own(message.value), headers } as KafkaMessage;
}

export function toIncoming(
  topic: string,
  partition: number,
  message: KafkaMessage,
): IncomingMessage {
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
    timestamp: message.timestamp,
  };
}
