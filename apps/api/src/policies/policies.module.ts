import { Module } from '@nestjs/common';
import { governanceRepositoryProvider } from '#persistence/governance.provider';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';

@Module({
  controllers: [PoliciesController],
  providers: [PoliciesService, governanceRepositoryProvider],
})
export class PoliciesModule {}
