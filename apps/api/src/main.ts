import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, ConfigError, type WardenConfig } from '#config/warden-config';
import { createLogger } from '#observability/logger';
import { createRegistry } from '#observability/metrics';
import { AppModule } from './app.module.js';
import { createValidationPipe } from './http/validation.js';
import { toProblem } from './http/problem-details.filter.js';
import { PROBLEM_CONTENT_TYPE } from './http/problem.js';
import { setupOpenApi } from './openapi/openapi.setup.js';

export const MAX_BODY_BYTES = 256 * 1024;

/** Builds the HTTP app (also used by tests and the benchmark). */
export async function createApiApp(config: WardenConfig): Promise<NestFastifyApplication> {
  const log = createLogger('api', config.logLevel);
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    // `__proto__` and `constructor` are plain data inside configuration values (JSON.parse
    // makes them own properties); elsewhere the validation pipe refuses them by name.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Config keys may be 128 characters long; Fastify's default stops path parameters at 100.
    routerOptions: { maxParamLength: 256 },
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, log, createRegistry('api')),
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
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  setupOpenApi(app);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
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
