import 'reflect-metadata';
import Fastify from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  loadConfig,
  ConfigError,
  type HttpTimeouts,
  type WardenConfig,
} from '#config/warden-config';
import { createLogger } from '#observability/logger';
import { createRegistry } from '#observability/metrics';
import { AppModule } from './app.module.js';
import { createValidationPipe } from './http/validation.js';
import { toProblem } from './http/problem-details.filter.js';
import { PROBLEM_CONTENT_TYPE } from './http/problem.js';
import { setupOpenApi } from './openapi/openapi.setup.js';
import { FrontDoor } from './http/front-door.js';

export const MAX_BODY_BYTES = 256 * 1024;

/** Builds the HTTP app (also used by tests and the benchmark). */
export async function createApiApp(config: WardenConfig): Promise<NestFastifyApplication> {
  const log = createLogger('api', config.logLevel);
  const registry = createRegistry('api');
  const frontDoor = new FrontDoor(registry);
  // The instance is made here, not by the adapter, so that the front door's server and
  // hooks come before the ones the adapter adds in its constructor.
  const instance = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    // `__proto__` and `constructor` are plain data inside configuration values (JSON.parse
    // makes them own properties); elsewhere the validation pipe refuses them by name.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Config keys may be 128 characters long; Fastify's default stops path parameters at 100.
    routerOptions: { maxParamLength: 256 },
    genReqId: frontDoor.requestId,
    serverFactory: frontDoor.serverFactory,
    ...serverTimeouts(config.http),
  });
  frontDoor.install(instance);
  const adapter = new FastifyAdapter(instance);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, log, registry),
    adapter,
    { logger: ['error', 'warn'] },
  );
  app.useGlobalPipes(createValidationPipe());
  const fastify = app.getHttpAdapter().getInstance();
  // Errors raised by Fastify before a route runs (malformed JSON, body too large,
  // unsupported media type, unknown route) get the same problem documents.
  fastify.setErrorHandler((error, _request, reply) => {
    const { problem, headers } = toProblem(error);
    void reply
      .status(problem.status)
      .headers(headers)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  });
  setupOpenApi(app);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}

/**
 * A client gets `requestTimeoutMs` to send a whole request and `headersTimeoutMs` for its
 * headers (then `408`), which bounds a slow sender; they end when the request is read, so
 * watch streams and long polls are not cut by them. A connection silent both ways for
 * `idleTimeoutMs` is closed: longer than the longest long poll, and streams write a
 * heartbeat well within it.
 */
function serverTimeouts(http: HttpTimeouts) {
  return {
    requestTimeout: http.requestTimeoutMs,
    connectionTimeout: http.idleTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    http: {
      requestTimeout: http.requestTimeoutMs,
      headersTimeout: http.headersTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default).
      connectionsCheckingInterval: Math.min(1000, http.headersTimeoutMs),
    },
  };
}

async function main(): Promise<void> {
  let config: WardenConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const app = await createApiApp(config);
  await app.listen(config.port, '0.0.0.0');
  createLogger('api', config.logLevel).info({ port: config.port }, 'api listening');
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`api failed to start: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  });
}
