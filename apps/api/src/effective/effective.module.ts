import { Module } from '@nestjs/common';
import { EffectiveViewController } from './effective.controller.js';
import { EffectiveViewService } from './effective.service.js';

/** The effective view; composed and cached by CatalogCache (see read-model/). */
@Module({
  controllers: [EffectiveViewController],
  providers: [EffectiveViewService],
})
export class EffectiveViewModule {}
