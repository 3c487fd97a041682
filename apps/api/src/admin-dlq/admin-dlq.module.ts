import { Module } from '@nestjs/common';
import { DATABASE } from '#persistence/persistence.constants';
import type { Database } from '#persistence/database';
import { DeadLetterRepository } from '#persistence/dead-letter.repository';
import { AdminDlqController } from './admin-dlq.controller.js';
import { DeadLettersService } from './dead-letters.service.js';
import { DEAD_LETTERS } from './admin-dlq.constants.js';

/** `/admin/dlq`: the dead letters, sent back or dropped by an admin. */
@Module({
  controllers: [AdminDlqController],
  providers: [
    {
      provide: DEAD_LETTERS,
      inject: [DATABASE],
      useFactory: (db: Database) => new DeadLetterRepository(db),
    },
    DeadLettersService,
  ],
})
export class AdminDlqModule {}
