import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { WritesModule } from '../writes/writes.module.js';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';

/** Global default policies and each service's overrides. */
@Module({
  imports: [PersistenceModule, WritesModule],
  controllers: [PoliciesController],
  providers: [PoliciesService],
})
export class PoliciesModule {}
