import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { LOGGER, METRICS_REGISTRY } from './observability.constants.js';

/**
 * Makes the logger and the metrics registry, made once in main.ts, injectable everywhere,
 * with the metrics an app counts (`metrics`: providers over METRICS_REGISTRY).
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(log: Logger, registry: Registry, metrics: Provider[] = []): DynamicModule {
    const providers: Provider[] = [
      { provide: LOGGER, useValue: log },
      { provide: METRICS_REGISTRY, useValue: registry },
      ...metrics,
    ];
    return {
      module: ObservabilityModule,
      providers,
      exports: providers.map((p) => ('provide' in p ? p.provide : p)),
    };
  }
}
