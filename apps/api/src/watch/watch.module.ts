import { Module } from '@nestjs/common';
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
  controllers: [WatchController],
  providers: [ViewHub, WatchStreams, WatchLimits, WatchMetrics, DeliveryReport],
  exports: [WatchStreams],
})
export class WatchModule {}
