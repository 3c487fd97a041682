import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigModule } from '#config/config.module';
import type { WardenConfig } from '#config/warden-config';
import { PersistenceModule } from '#persistence/persistence.module';
import { MessagingModule } from '#messaging/messaging.module';
import { CachingModule } from '#caching/caching.module';
import { ObservabilityModule } from '#observability/observability.module';
import { AuthGuard } from './auth/auth.guard.js';
import { AccessModule } from './auth/access.module.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { apiMetricsProviders } from './metrics/api-metrics.providers.js';
import { ServicesModule } from './services/services.module.js';
import { AdminCacheModule } from './admin-cache/admin-cache.module.js';
import { AdminDlqModule } from './admin-dlq/admin-dlq.module.js';
import { AdminOpsModule } from './admin-ops/admin-ops.module.js';
import { PoliciesModule } from './policies/policies.module.js';
import { ConfigEntriesModule } from './config/config.module.js';
import { EffectiveViewModule } from './effective/effective.module.js';
import { AuditModule } from './audit/audit.module.js';
import { TransferModule } from './transfer/transfer.module.js';
import { ProtectionModule } from './protection/protection.module.js';
import { PromotionModule } from './promotion/promotion.module.js';
import { ConsoleModule } from './console/console.module.js';
import { ChangeRequestsModule } from './change-requests/change-requests.module.js';
import { EventsController } from './events/events.controller.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';

@Module({})
export class AppModule {
  static forRoot(config: WardenConfig, log: Logger, registry: Registry): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(log, registry, apiMetricsProviders(registry)),
        PersistenceModule,
        AccessModule,
        MessagingModule,
        CachingModule,
        ServicesModule,
        AdminCacheModule,
        AdminDlqModule,
        AdminOpsModule,
        PoliciesModule,
        ConfigEntriesModule,
        EffectiveViewModule,
        AuditModule,
        TransferModule,
        ProtectionModule,
        ChangeRequestsModule,
        PromotionModule,
        ConsoleModule,
      ],
      controllers: [EventsController, HealthController, MetricsController],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
