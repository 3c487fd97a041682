import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig, ConfigError } from '#config/warden-config';
import { createLogger } from '#observability/logger';
import { createRegistry } from '#observability/metrics';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger('worker', config.logLevel);
  const app = await NestFactory.createApplicationContext(
    WorkerModule.forRoot(config, log, createRegistry('worker')),
    { logger: ['error', 'warn'] },
  );
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  log.info({ workerPort: config.workerPort, brokers: config.kafkaBrokers }, 'worker started');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
