import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { EVENT_PUBLISHER, KAFKA, KAFKA_ADMIN, TOPICS } from './messaging.constants.js';
import { createKafka } from './kafka-client.js';
import { EventPublisher } from './event-publisher.js';
import { KafkaAdminClient } from './kafka-admin.js';
import { topicNames } from './topics.js';

@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [WARDEN_CONFIG],
      useFactory: (config: WardenConfig) =>
        createKafka({
          clientId: `warden-${process.pid}`,
          brokers: config.kafkaBrokers,
          security: config.kafkaSecurity,
        }),
    },
    {
      provide: TOPICS,
      inject: [WARDEN_CONFIG],
      useFactory: (c: WardenConfig) => topicNames(c.namespace),
    },
    {
      provide: EVENT_PUBLISHER,
      inject: [KAFKA],
      useFactory: (kafka: Kafka) => new EventPublisher(kafka),
    },
    {
      provide: KAFKA_ADMIN,
      inject: [KAFKA],
      useFactory: (kafka: Kafka) => new KafkaAdminClient(kafka),
    },
  ],
  exports: [KAFKA, TOPICS, EVENT_PUBLISHER, KAFKA_ADMIN],
})
export class MessagingModule implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(KAFKA_ADMIN) private readonly admin: KafkaAdminClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.publisher.disconnect().catch(() => undefined), this.admin.close()]);
  }
}
