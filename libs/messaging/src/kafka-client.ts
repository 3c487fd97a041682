import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaSecurity } from '#config/producer-identity';
import { fixRequestQueueIdleLoop } from './request-queue-fix.js';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  /** SASL credentials and TLS (KAFKA_SASL_*, KAFKA_SSL*); none: plaintext. */
  security?: KafkaSecurity;
  /** Receives kafkajs's own log lines (warnings and errors only). */
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  fixRequestQueueIdleLoop();
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...(options.security?.sasl ? { sasl: options.security.sasl as SASLOptions } : {}),
    ...(options.security?.ssl
      ? { ssl: options.security.ssl.ca ? { ca: [options.security.ssl.ca] } : true }
      : {}),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 5 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        options.log?.(level === logLevel.ERROR ? 'error' : 'warn', String(message), extra);
      },
  });
}
