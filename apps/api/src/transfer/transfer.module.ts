import { Module } from '@nestjs/common';
import { governanceRepositoryProvider } from '#persistence/governance.provider';
import { TransferController } from './transfer.controller.js';
import { TransferService } from './transfer.service.js';

@Module({
  controllers: [TransferController],
  providers: [TransferService, governanceRepositoryProvider],
})
export class TransferModule {}
