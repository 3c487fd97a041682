import { Inject, Injectable } from '@nestjs/common';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { WardenConfig } from '#config/warden-config';
import { KAFKA_ADMIN, TOPICS } from '#messaging/messaging.constants';
import type { KafkaAdminClient } from '#messaging/kafka-admin';
import { EventLogServer } from '#messaging/event-log.server';
import { consumerGroup, type TopicNames } from '#messaging/topics';
import { WORKER_METRICS, type WorkerMetrics } from '../worker.constants.js';

/**
 * Keeps the consumer-lag gauge of the partitions this member reads: from each commit,
 * and on demand (a scrape of `/metrics`) from the broker's offsets, which show the lag
 * growing even while this worker is stuck (a database away) and commits nothing.
 */
@Injectable()
export class LagReporter {
  private assigned: number[] = [];
  private readonly groupId: string;

  constructor(
    @Inject(WARDEN_CONFIG) config: WardenConfig,
    @Inject(TOPICS) private readonly topics: TopicNames,
    @Inject(KAFKA_ADMIN) private readonly admin: KafkaAdminClient,
    @Inject(WORKER_METRICS) private readonly metrics: WorkerMetrics,
    server: EventLogServer,
  ) {
    this.groupId = consumerGroup(config.namespace);
    server.on('joined', (partitions) => {
      this.assigned = partitions;
      this.metrics.lag.reset();
    });
    server.on('committed', (partition, offset, highWatermark) => {
      this.metrics.lag.set(
        { partition: String(partition) },
        Math.max(0, Number(BigInt(highWatermark) - BigInt(offset))),
      );
    });
  }

  /** Sets the gauge of the assigned partitions from the group's offsets and the partitions' ends. */
  async refresh(): Promise<void> {
    if (this.assigned.length === 0) return;
    const [committed, ends] = await this.admin.use((admin) =>
      Promise.all([
        admin.fetchOffsets({ groupId: this.groupId, topics: [this.topics.Events] }),
        admin.fetchTopicOffsets(this.topics.Events),
      ]),
    );
    const offsets = new Map(committed[0]?.partitions.map((p) => [p.partition, p.offset]) ?? []);
    for (const end of ends) {
      if (!this.assigned.includes(end.partition)) continue;
      const offset = offsets.get(end.partition);
      const from = offset !== undefined && offset !== '-1' ? BigInt(offset) : BigInt(end.low);
      this.metrics.lag.set(
        { partition: String(end.partition) },
        Math.max(0, Number(BigInt(end.high) - from)),
      );
    }
  }
}
