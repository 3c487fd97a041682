import type { Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { KAFKA, TOPICS } from '#messaging/messaging.constants';
import { EventLogServer } from '#messaging/event-log.server';
import { consumerGroup, type TopicNames } from '#messaging/topics';
import { isTransientError } from './transient-errors.js';

/** Runs of one partition applied in one transaction; also bounds one retry's work. */
const MAX_BATCH = 500;

/**
 * The worker's transport, made as a provider so that the pieces observing the loop
 * (lag, logs, readiness) can inject it; `main.ts` hands it to Nest as the strategy.
 */
export const eventLogServerProvider: Provider = {
  provide: EventLogServer,
  inject: [KAFKA, TOPICS, WARDEN_CONFIG],
  useFactory: (kafka: Kafka, topics: TopicNames, config: WardenConfig) =>
    new EventLogServer(kafka, {
      groupId: consumerGroup(config.namespace),
      topic: topics.Events,
      concurrency: 6,
      maxBatchSize: MAX_BATCH,
      runsInFlight: config.runsInFlight,
      isTransient: isTransientError,
    }),
};
