import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { EventLogServer } from '#messaging/event-log.server';
import { LOGGER, WORKER_METRICS, type WorkerMetrics } from '../worker.constants.js';

/** Logs what the consumer loop goes through (joins, retries, crashes, the stop) and counts retries. */
@Injectable()
export class ConsumerMonitor {
  private assigned: number[] = [];

  constructor(
    @Inject(LOGGER) log: Logger,
    @Inject(WORKER_METRICS) metrics: WorkerMetrics,
    server: EventLogServer,
  ) {
    server.on('joined', (partitions, memberId) => {
      this.assigned = partitions;
      log.info({ memberId, partitions }, 'joined the consumer group');
    });
    server.on('retry', (message, error, attempt, delayMs) => {
      metrics.retries.inc();
      log.warn(
        {
          partition: message.partition,
          offset: message.offset,
          attempt,
          delayMs,
          err: String(error),
        },
        'events not applied yet; retrying',
      );
    });
    server.on('commit-failed', (partition, offset, error) => {
      log.warn(
        { partition, offset, err: String(error) },
        'offset not committed; the next commit covers it',
      );
    });
    server.on('crash', (error, willRestart) => {
      log.error({ err: String(error), willRestart }, 'consumer crashed');
    });
    server.on('stopping', () => log.info('stopping: finishing the batch in flight'));
    server.on('stopped', () => {
      log.info({ partitions: this.assigned }, 'offsets committed; left the consumer group');
    });
  }
}
