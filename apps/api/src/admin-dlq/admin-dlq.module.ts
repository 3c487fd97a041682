import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { MessagingModule } from '#messaging/messaging.module';
import { AdminAuditModule } from '../admin-audit/admin-audit.module.js';
import { AdminDlqController } from './admin-dlq.controller.js';
import { DeadLettersService } from './dead-letters.service.js';

/** `/admin/dlq`: the dead letters, sent back or dropped by an admin. */
@Module({
  imports: [PersistenceModule, MessagingModule, AdminAuditModule],
  controllers: [AdminDlqController],
  providers: [DeadLettersService],
})
export class AdminDlqModule {}
