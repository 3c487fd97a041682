import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { WritesModule } from '../writes/writes.module.js';
import { ProtectionModule } from '../protection/protection.module.js';
import { ChangeRequestsModule } from '../change-requests/change-requests.module.js';
import { PromotionController } from './promotion.controller.js';
import { PromotionService } from './promotion.service.js';

/** Promotion of configuration between the environments of a service. */
@Module({
  imports: [PersistenceModule, WritesModule, ProtectionModule, ChangeRequestsModule],
  controllers: [PromotionController],
  providers: [PromotionService],
})
export class PromotionModule {}
