import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { AdminAuditService } from './admin-audit.service.js';

/** The audit of admin actions; import it to `record` one (see AdminAuditService). */
@Module({
  imports: [PersistenceModule],
  providers: [AdminAuditService],
  exports: [AdminAuditService],
})
export class AdminAuditModule {}
