import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import { EventLogServer } from '#messaging/event-log.server';
import { loadConfig, ConfigError } from '#config/warden-config';
import { createLogger } from '#observability/logger';
import { createRegistry } from '#observability/metrics';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { app: 'worker' });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger('worker', config.logLevel);
  const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(
    WorkerModule.forRoot(config, log, createRegistry('worker')),
    {
      logger: ['error', 'warn'],
      inject: [EventLogServer],
      useFactory: (server: EventLogServer) => ({ strategy: server }),
    },
  );
  await app.listen();
  // A stop signal first closes the transport (the batch in flight finishes and is
  // committed, the member leaves the group), then the shutdown hooks flush the outbox,
  // then the connections close; the process exits with 0.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'worker stopping');
    app
      .close()
      .then(() => {
        log.info('worker stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error({ err: String(error) }, 'worker did not stop cleanly');
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log.info({ workerPort: config.workerPort, brokers: config.kafkaBrokers }, 'worker started');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
