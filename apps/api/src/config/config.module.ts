import { Module } from '@nestjs/common';
import { governanceRepositoryProvider } from '#persistence/governance.provider';
import { ConfigEntriesController } from './config.controller.js';
import { ConfigEntriesService } from './config.service.js';

/** Versioned configuration per service and environment (not the apps' own settings, see libs/config). */
@Module({
  controllers: [ConfigEntriesController],
  providers: [ConfigEntriesService, governanceRepositoryProvider],
})
export class ConfigEntriesModule {}
