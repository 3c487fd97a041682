import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { WritesModule } from '../writes/writes.module.js';
import { ProtectionModule } from '../protection/protection.module.js';
import { TransferController } from './transfer.controller.js';
import { TransferService } from './transfer.service.js';

/** Export and import of a service's whole governance state as one document. */
@Module({
  imports: [PersistenceModule, WritesModule, ProtectionModule],
  controllers: [TransferController],
  providers: [TransferService],
})
export class TransferModule {}
