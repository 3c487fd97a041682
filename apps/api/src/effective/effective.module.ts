import { Module } from '@nestjs/common';
import { ReadModelModule } from '../read-model/read-model.module.js';
import { EffectiveViewController } from './effective.controller.js';
import { EffectiveViewService } from './effective.service.js';
import { WatchModule } from '../watch/watch.module.js';

/** The effective view; composed and cached by CatalogCache (see read-model/). */
@Module({
  imports: [ReadModelModule, WatchModule],
  controllers: [EffectiveViewController],
  providers: [EffectiveViewService],
})
export class EffectiveViewModule {}
