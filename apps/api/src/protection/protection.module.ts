import { Module } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { PersistenceModule } from '#persistence/persistence.module';
import { ReadModelModule } from '../read-model/read-model.module.js';
import { AdminAuditModule } from '../admin-audit/admin-audit.module.js';
import { ProtectionRulesStore } from './protection-rules.store.js';
import { ProtectionGate } from './protection-gate.service.js';
import { ProtectionRulesController } from './protection-rules.controller.js';

/** Protection rules: the admins' endpoints, the rules in memory, and the check of writes against them. */
@Module({
  imports: [PersistenceModule, CachingModule, ReadModelModule, AdminAuditModule],
  controllers: [ProtectionRulesController],
  providers: [ProtectionRulesStore, ProtectionGate],
  exports: [ProtectionGate],
})
export class ProtectionModule {}
