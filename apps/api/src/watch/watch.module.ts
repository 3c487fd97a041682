import { Module } from '@nestjs/common';
import { CachingModule } from '#caching/caching.module';
import { PersistenceModule } from '#persistence/persistence.module';
import { ReadModelModule } from '../read-model/read-model.module.js';
import { DeliveryReport } from './delivery-report.service.js';
import { ViewHub } from './view-hub.service.js';
import { WatchController } from './watch.controller.js';
import { WatchLimits } from './watch-limits.js';
import { WatchStreams } from './watch-streams.service.js';
import { WatchMetrics } from './watch.metrics.js';

/**
 * Push to readers: SSE streams and long polls of effective views, fed by the read
 * model's change notifications (`CatalogChanges`), with delivery reports across instances.
 */
@Module({
  imports: [PersistenceModule, CachingModule, ReadModelModule],
  controllers: [WatchController],
  providers: [ViewHub, WatchStreams, WatchLimits, WatchMetrics, DeliveryReport],
  exports: [WatchStreams],
})
export class WatchModule {}
