import { Global, Module } from '@nestjs/common';
import { EventGateway } from './event-gateway.service.js';
import { OutcomeListener } from './outcome-listener.service.js';
import { WritesService } from './writes.service.js';
import { CatalogCache } from '../read-model/catalog-cache.service.js';

/** The write path (events out) and what listens for their outcomes. */
@Global()
@Module({
  providers: [EventGateway, OutcomeListener, WritesService, CatalogCache],
  exports: [EventGateway, OutcomeListener, WritesService, CatalogCache],
})
export class WritesModule {}
