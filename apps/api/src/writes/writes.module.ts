import { Module } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { MessagingModule } from '#messaging/messaging.module';
import { PersistenceModule } from '#persistence/persistence.module';
import { OutcomesModule } from '../outcomes/outcomes.module.js';
import { EventGateway } from './event-gateway.service.js';
import { WritesService } from './writes.service.js';

/** The write path: a validated write becomes an event on Kafka, answered as HTTP. */
@Module({
  imports: [PersistenceModule, MessagingModule, CachingModule, OutcomesModule],
  providers: [EventGateway, WritesService],
  exports: [EventGateway, WritesService],
})
export class WritesModule {}
