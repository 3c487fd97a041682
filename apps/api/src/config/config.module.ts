import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { WritesModule } from '../writes/writes.module.js';
import { ConfigEntriesController } from './config.controller.js';
import { ConfigEntriesService } from './config.service.js';

/** Versioned configuration per service and environment (not the apps' own settings, see libs/config). */
@Module({
  imports: [PersistenceModule, WritesModule],
  controllers: [ConfigEntriesController],
  providers: [ConfigEntriesService],
})
export class ConfigEntriesModule {}
