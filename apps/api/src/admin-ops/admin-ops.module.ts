import { Module } from '@nestjs/common';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { ProjectionRebuild } from '#persistence/projection-rebuild';
import { ReplayLogRepository } from '#persistence/replay-log.repository';
import { ConsumersController } from './consumers.controller.js';
import { ReplayController } from './replay.controller.js';
import { ReplayService } from './replay.service.js';
import { LogReplayer } from './log-replayer.js';
import { CachedDocuments } from './cached-documents.js';
import { PROJECTION_REBUILD, REPLAY_LOG } from './admin-ops.constants.js';

/** `/admin/consumers` and `/admin/replay`: the worker group seen from outside, and rebuilds. */
@Module({
  controllers: [ConsumersController, ReplayController],
  providers: [
    {
      provide: REPLAY_LOG,
      inject: [DATABASE],
      useFactory: (db: Database) => new ReplayLogRepository(db),
    },
    {
      provide: PROJECTION_REBUILD,
      inject: [DATABASE],
      useFactory: (db: Database) => new ProjectionRebuild(db),
    },
    LogReplayer,
    CachedDocuments,
    ReplayService,
  ],
})
export class AdminOpsModule {}
