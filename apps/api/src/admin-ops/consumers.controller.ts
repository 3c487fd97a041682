import { Controller, Get, Inject } from '@nestjs/common';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { KAFKA_ADMIN, TOPICS } from '#messaging/messaging.constants';
import type { KafkaAdminClient } from '#messaging/kafka-admin';
import { consumerGroup, type TopicNames } from '#messaging/topics';
import { describeConsumerGroup, type ConsumerGroupReport } from '#messaging/consumer-group';
import { RequireRole } from '../auth/roles.decorator.js';
import { ProblemException } from '../http/problem.js';

@Controller('admin/consumers')
@RequireRole('admin')
export class ConsumersController {
  constructor(
    @Inject(KAFKA_ADMIN) private readonly kafka: KafkaAdminClient,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
  ) {}

  /** The worker group's members, the partitions each reads, and the lag of each partition. */
  @Get()
  async describe(): Promise<ConsumerGroupReport> {
    try {
      return await this.kafka.use((admin) =>
        describeConsumerGroup(admin, consumerGroup(this.config.namespace), this.topics.Events),
      );
    } catch (error) {
      throw new ProblemException(503, `Kafka did not answer: ${(error as Error).message}`, {
        headers: { 'retry-after': '5' },
      });
    }
  }
}
