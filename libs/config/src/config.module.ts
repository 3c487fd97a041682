import { Global, Module } from '@nestjs/common';
import { WARDEN_CONFIG } from './config.constants.js';
import type { WardenConfig } from './warden-config.js';

/** Makes the configuration, loaded once in main.ts, injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: WardenConfig) {
    return {
      module: ConfigModule,
      providers: [{ provide: WARDEN_CONFIG, useValue: config }],
      exports: [WARDEN_CONFIG],
    };
  }
}
