import { Module } from '@nestjs/common';
import { MessagingModule } from '#messaging/messaging.module';
import { PersistenceModule } from '#persistence/persistence.module';
import { OutcomesModule } from '../outcomes/outcomes.module.js';
import { ReadModelModule } from '../read-model/read-model.module.js';
import { ProtectionModule } from '../protection/protection.module.js';
import { EventGateway } from './event-gateway.service.js';
import { WritesService } from './writes.service.js';
import { WriteAuthorizer } from './write-authorizer.service.js';
import { EventAppender } from './event-appender.service.js';
import { OutcomeWaiter } from './outcome-waiter.service.js';
import { EnvelopeSealer } from './envelope-sealer.js';

/** The write path: a validated write becomes an event on Kafka, answered as HTTP. */
@Module({
  imports: [PersistenceModule, MessagingModule, ReadModelModule, OutcomesModule, ProtectionModule],
  providers: [
    EventGateway,
    WriteAuthorizer,
    EnvelopeSealer,
    EventAppender,
    OutcomeWaiter,
    WritesService,
  ],
  exports: [EventGateway, WritesService, WriteAuthorizer, EnvelopeSealer],
})
export class WritesModule {}
