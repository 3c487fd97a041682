import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { subscriberProvider, type RedisConnection } from '#caching/redis-client';
import { PersistenceModule } from '#persistence/persistence.module';
import { ReadModelModule } from '../read-model/read-model.module.js';
import { AdminAuditModule } from '../admin-audit/admin-audit.module.js';
import { PROTECTION_RULES_SUBSCRIBER } from './protection.constants.js';
import { ProtectionRulesStore } from './protection-rules.store.js';
import { ProtectionGate } from './protection-gate.service.js';
import { ProtectionRulesController } from './protection-rules.controller.js';

/** Protection rules: the admins' endpoints, the rules in memory, and the check of writes against them. */
@Module({
  imports: [PersistenceModule, CachingModule, ReadModelModule, AdminAuditModule],
  controllers: [ProtectionRulesController],
  providers: [
    subscriberProvider(PROTECTION_RULES_SUBSCRIBER, 'warden-protection-rules'),
    ProtectionRulesStore,
    ProtectionGate,
  ],
  exports: [ProtectionGate],
})
export class ProtectionModule implements OnApplicationShutdown {
  constructor(@Inject(PROTECTION_RULES_SUBSCRIBER) private readonly subscriber: RedisConnection) {}

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }
}
