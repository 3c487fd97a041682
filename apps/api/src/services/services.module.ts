import { Module } from '@nestjs/common';
import { PersistenceModule } from '#persistence/persistence.module';
import { ReadModelModule } from '../read-model/read-model.module.js';
import { WritesModule } from '../writes/writes.module.js';
import { ServicesController } from './services.controller.js';
import { ServicesService } from './services.service.js';

/** The service catalog: registered, changed and removed by events, read through the cache. */
@Module({
  imports: [PersistenceModule, ReadModelModule, WritesModule],
  controllers: [ServicesController],
  providers: [ServicesService],
})
export class ServicesModule {}
