import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  DECORATORS,
} from '@nestjs/swagger';
import { ServicesController } from '../services/services.controller.js';
import { EventsController } from '../events/events.controller.js';
import { HealthController } from '../health/health.controller.js';
import { MetricsController } from '../metrics/metrics.controller.js';
import { ApiEventWrite, ApiTaggedRead, ApiValidationProblem } from './openapi.decorators.js';
import type { Class } from './validation-schema.js';
import { EventStatusSchema, ServicePageSchema, ServiceResourceSchema } from './response.schemas.js';

type Decorator = MethodDecorator;

function document(controller: Class, method: string, ...decorators: Decorator[]): void {
  const prototype = controller.prototype as object;
  const descriptor = Object.getOwnPropertyDescriptor(prototype, method);
  if (!descriptor) throw new Error(`${controller.name} has no handler ${method} to document`);
  for (const decorator of decorators) decorator(prototype, method, descriptor);
}

/**
 * The answers of the catalog, event-status, health and metrics routes. These
 * controllers came before the OpenAPI document and carry no Swagger decorators, so
 * their answers are described here; the decorators are the same ones the governance
 * controllers wear and could move into those files unchanged. Runs once per process.
 */
export function documentCatalogOperations(): void {
  const register = (ServicesController.prototype as unknown as Record<string, object>).register;
  if (Reflect.getMetadata(DECORATORS.API_OPERATION, register)) return;

  document(
    ServicesController,
    'register',
    ApiOperation({ summary: 'Register a service' }),
    ApiEventWrite({ resource: ServiceResourceSchema, creates: true }),
  );
  document(
    ServicesController,
    'list',
    ApiOperation({
      summary: 'List services, filtered, one page at a time (`limit` ≤ 200, opaque `cursor`)',
    }),
    ApiOkResponse({ type: ServicePageSchema }),
    ApiValidationProblem(),
  );
  document(
    ServicesController,
    'get',
    ApiOperation({ summary: 'One service' }),
    ApiTaggedRead(ServiceResourceSchema, 'The service does not exist'),
  );
  document(
    ServicesController,
    'update',
    ApiOperation({
      summary: 'Change a service with a JSON merge patch',
      description: '`null` removes `description`, `tags` or `links`; `slug` cannot change.',
    }),
    ApiEventWrite({ resource: ServiceResourceSchema }),
  );
  document(
    ServicesController,
    'remove',
    ApiOperation({ summary: 'Remove a service with its policies and configuration' }),
    ApiEventWrite({ removes: true }),
  );
  document(
    EventsController,
    'status',
    ApiOperation({ summary: "What became of a write's event" }),
    ApiOkResponse({ type: EventStatusSchema }),
    ApiValidationProblem(),
    ApiNotFoundResponse({ description: 'No event with this id is known' }),
  );
  const health = { schema: { type: 'object', properties: { status: { type: 'string' } } } };
  document(HealthController, 'live', ApiOperation({ summary: 'Liveness' }), ApiOkResponse(health));
  document(
    HealthController,
    'ready',
    ApiOperation({ summary: 'Readiness, with the state of Kafka, PostgreSQL and Redis' }),
    ApiOkResponse(health),
    ApiServiceUnavailableResponse({ description: 'Kafka or PostgreSQL is not reachable' }),
  );
  document(
    MetricsController,
    'metrics',
    ApiOperation({ summary: 'Prometheus metrics' }),
    ApiProduces('text/plain'),
    ApiOkResponse({ description: 'Prometheus text exposition format' }),
  );
}
