import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigModule } from '#config/config.module';
import type { WardenConfig } from '#config/warden-config';
import { PersistenceModule } from '#persistence/persistence.module';
import { MessagingModule } from '#messaging/messaging.module';
import { CachingModule } from '#caching/caching.module';
import { aggregateCacheMetrics, workerMetrics } from '#observability/metrics';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { OutboxRepository } from '#persistence/outbox.repository';
import { ProjectionRepository } from '#persistence/projection.repository';
import { EventRunsHandler } from './events/event-runs.handler.js';
import { eventLogServerProvider } from './events/event-log.provider.js';
import { OutcomeAnnouncer } from './events/outcome-announcer.js';
import { LagReporter } from './events/lag-reporter.js';
import { ConsumerMonitor } from './events/consumer-monitor.js';
import { OutboxMessages } from './outbox/outbox-messages.js';
import { CacheRefresher } from './events/cache-refresher.js';
import { WorkerHttpServer } from './health/worker-http.server.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { ChangeRequestScheduler } from './change-requests/change-request-scheduler.js';
import { LOGGER, METRICS_REGISTRY, OUTBOX, WORKER_METRICS } from './worker.constants.js';

@Module({})
export class WorkerModule {
  static forRoot(config: WardenConfig, log: Logger, registry: Registry): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), PersistenceModule, MessagingModule, CachingModule],
      controllers: [EventRunsHandler],
      providers: [
        { provide: LOGGER, useValue: log },
        { provide: METRICS_REGISTRY, useValue: registry },
        {
          provide: WORKER_METRICS,
          inject: [ProjectionRepository],
          useFactory: (projection: ProjectionRepository) => {
            aggregateCacheMetrics(registry, () => projection.states.stats());
            return workerMetrics(registry);
          },
        },
        {
          provide: OUTBOX,
          inject: [DATABASE],
          useFactory: (db: Database) => new OutboxRepository(db),
        },
        eventLogServerProvider,
        OutboxRelay,
        ChangeRequestScheduler,
        OutboxMessages,
        CacheRefresher,
        OutcomeAnnouncer,
        LagReporter,
        ConsumerMonitor,
        WorkerHttpServer,
      ],
    };
  }
}
