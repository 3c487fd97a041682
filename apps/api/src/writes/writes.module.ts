import { Global, Module } from '@nestjs/common';
import { EventGateway } from './event-gateway.service.js';
import { OutcomeListener } from './outcome-listener.service.js';
import { WriteAuthorizer } from './write-authorizer.service.js';
import { CatalogCache } from '../read-model/catalog-cache.service.js';
import { CatalogChanges } from '../read-model/catalog-changes.js';

/** The write path (events out) and what listens for their outcomes. */
@Global()
@Module({
  providers: [EventGateway, OutcomeListener, CatalogCache, CatalogChanges, WriteAuthorizer],
  exports: [EventGateway, OutcomeListener, CatalogCache, CatalogChanges],
})
export class WritesModule {}
