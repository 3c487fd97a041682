import { Kafka, logLevel, type LogEntry } from 'kafkajs';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  /** Receives kafkajs's own log lines (warnings and errors only). */
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
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
