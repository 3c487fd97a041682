import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { MessagingModule } from '#messaging/messaging.module';
import { CachingModule } from '#caching/caching.module';
import { ProjectionRebuild } from '#persistence/projection-rebuild';
import { ReplayLogRepository } from '#persistence/replay-log.repository';
import { AdminAuditModule } from '../admin-audit/admin-audit.module.js';
import { ConsumersController } from './consumers.controller.js';
import { ReplayController } from './replay.controller.js';
import { ReplayService } from './replay.service.js';
import { LogReplayer } from './log-replayer.js';
import { CachedDocuments } from './cached-documents.js';
import { PROJECTION_REBUILD, REPLAY_LOG } from './admin-ops.constants.js';

/** `/admin/consumers` and `/admin/replay`: the worker group seen from outside, and rebuilds. */
@Module({
  imports: [PersistenceModule, MessagingModule, CachingModule, AdminAuditModule],
  controllers: [ConsumersController, ReplayController],
  providers: [
    // The repositories are registered once, in PersistenceModule; these name them here.
    { provide: REPLAY_LOG, useExisting: ReplayLogRepository },
    { provide: PROJECTION_REBUILD, useExisting: ProjectionRebuild },
    LogReplayer,
    CachedDocuments,
    ReplayService,
  ],
})
export class AdminOpsModule {}
