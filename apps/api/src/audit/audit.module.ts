import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';

/** Who changed what, when and why: the applied events with their before and after. */
@Module({
  imports: [PersistenceModule],
  controllers: [AuditController],
  providers: [AuditService],
})
export class AuditModule {}
