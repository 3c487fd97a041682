import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { WritesModule } from '../writes/writes.module.js';
import { ProtectionModule } from '../protection/protection.module.js';
import { ChangeRequestsController } from './change-requests.controller.js';
import { ChangeRequestsService } from './change-requests.service.js';
import { RequiredApprovalsPolicy } from './required-approvals.policy.js';

/** Sets of changes reviewed, then applied by the worker all at once (or scheduled). */
@Module({
  imports: [PersistenceModule, WritesModule, ProtectionModule],
  controllers: [ChangeRequestsController],
  providers: [ChangeRequestsService, RequiredApprovalsPolicy],
  exports: [ChangeRequestsService],
})
export class ChangeRequestsModule {}
