import { ModulesContainer } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import {
  ApiProperty,
  DocumentBuilder,
  SwaggerModule,
  getSchemaPath,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { ReasonDto } from '#domain/service.dto';
import { SetConfigDto } from '#domain/config.dto';
import { SetDefaultPolicyDto, SetPolicyDto } from '#domain/policy.dto';
import { SLUG_PATTERN } from '#domain/service.model';
import { ENV_PATTERN, POLICY_TYPES } from '#domain/policy.model';
import { CONFIG_KEY_PATTERN } from '#domain/config.model';
import { REQUIRED_ROLE } from '../auth/roles.decorator.js';
import { documentFromValidation, type Class } from './validation-schema.js';
import * as responses from './response.schemas.js';
import { ConfigItemDto, DefaultPolicyEntryDto, PolicyEntryDto } from '../transfer/transfer.dto.js';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
type Parameter = {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Record<string, unknown>;
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Path parameters mean the same wherever they appear. */
const PATH_PARAMETERS: Record<string, Record<string, unknown>> = {
  slug: { type: 'string', pattern: SLUG_PATTERN.source, example: 'checkout' },
  env: { type: 'string', pattern: ENV_PATTERN.source, example: 'prod' },
  key: { type: 'string', pattern: CONFIG_KEY_PATTERN.source, example: 'timeouts.upstreamMs' },
  type: { type: 'string', enum: [...POLICY_TYPES] },
  eventId: { type: 'string', format: 'uuid' },
};

const problemResponse = (description: string) => ({
  description,
  content: {
    'application/problem+json': { schema: { $ref: getSchemaPath(responses.ProblemSchema) } },
  },
});

/**
 * Serves the OpenAPI document at /docs/openapi.json and Swagger UI at /docs. Both are
 * plain Fastify routes, outside the controllers' AuthGuard, so they need no token.
 * Request shapes come from the DTOs' validation rules; the role each operation needs
 * comes from its `@RequireRole`, the same metadata that the guard enforces.
 */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const controllers = controllerClasses(app);
  describeFreeFormMembers();
  const documented = new Set<Class>();
  const models = [
    ReasonDto,
    ...responses.POLICY_SPEC_MODELS,
    ...(Object.values(responses) as unknown[]).filter(isClass),
    ...handlerParameterTypes(controllers),
  ];
  for (const model of models) documentFromValidation(model, documented);

  const config = new DocumentBuilder()
    .setTitle('Warden')
    .setDescription(
      'Platform governance: the service catalog, policies and versioned configuration. Writes are published as events and answer `202` (or the outcome with `Prefer: wait=N`); errors are `application/problem+json`. Send `Authorization: Bearer <token>`; each operation names the weakest role it needs (`reader` < `writer` < `admin`).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A token from WARDEN_TOKENS' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [responses.ProblemSchema, ...responses.POLICY_SPEC_MODELS],
  });
  annotateOperations(document, requiredRoles(controllers));
  widenAnyJsonMembers(document);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Warden API',
  });
  return document;
}

/** Members whose shape validation checks elsewhere: a spec against its type, a value as any JSON. */
function describeFreeFormMembers(): void {
  for (const model of [SetPolicyDto, SetDefaultPolicyDto, PolicyEntryDto, DefaultPolicyEntryDto]) {
    ApiProperty(responses.policySpecSchema)(model.prototype, 'spec');
  }
  for (const model of [SetConfigDto, ConfigItemDto]) {
    ApiProperty(responses.anyJsonSchema)(model.prototype, 'value');
  }
}

function controllerClasses(app: INestApplication): Class[] {
  const classes = new Set<Class>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      if (typeof wrapper.metatype === 'function') classes.add(wrapper.metatype as Class);
    }
  }
  return [...classes];
}

function handlerNames(controller: Class): string[] {
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype).filter(
    (name) => name !== 'constructor' && typeof prototype[name] === 'function',
  );
}

/** The classes that handlers take (bodies and queries), to document from their rules. */
function handlerParameterTypes(controllers: Class[]): Class[] {
  return controllers.flatMap((controller) =>
    handlerNames(controller).flatMap(
      (name) =>
        (Reflect.getMetadata('design:paramtypes', controller.prototype, name) as
          Class[] | undefined) ?? [],
    ),
  );
}

/** `Controller_method` (Swagger's operationId) → the weakest role that may call it. */
function requiredRoles(controllers: Class[]): Map<string, string> {
  const roles = new Map<string, string>();
  for (const controller of controllers) {
    for (const name of handlerNames(controller)) {
      const handler = (controller.prototype as Record<string, object>)[name];
      const role =
        (Reflect.getMetadata(REQUIRED_ROLE, handler) as string | undefined) ??
        (Reflect.getMetadata(REQUIRED_ROLE, controller) as string | undefined) ??
        'reader';
      roles.set(`${controller.name}_${name}`, role);
    }
  }
  return roles;
}

function annotateOperations(document: OpenAPIObject, roles: Map<string, string>): void {
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      describeParameters(operation);
      if (
        operation.requestBody ||
        operation.parameters?.some((p) => 'in' in p && p.in !== 'header')
      ) {
        operation.responses['400'] ??= problemResponse(
          'A parameter or the body is not valid: `errors` names each field',
        );
      }
      const role = roles.get(operation.operationId ?? '');
      if (!role) continue;
      if (role === 'public') {
        operation.security = [];
        continue;
      }
      operation.security = [{ bearer: [] }];
      (operation as Operation & { 'x-required-role': string })['x-required-role'] = role;
      operation.description = [`Requires the \`${role}\` role.`, operation.description]
        .filter(Boolean)
        .join(' ');
      operation.responses['401'] ??= problemResponse(
        'No token, or one that WARDEN_TOKENS does not list',
      );
      operation.responses['403'] ??= problemResponse(`The token's role is weaker than ${role}`);
    }
  }
}

/**
 * Gives path parameters their patterns and makes header parameters optional: every
 * header this API reads (`Prefer`, `If-Match`, `If-None-Match`) may be left out, while
 * Swagger would mark a bare `@Headers()` argument required. One entry per header name.
 */
function describeParameters(operation: Operation): void {
  const parameters = (operation.parameters ?? []) as Parameter[];
  const headers = new Map<string, Parameter>();
  const kept: Parameter[] = [];
  for (const parameter of parameters) {
    if (parameter.in === 'path' && PATH_PARAMETERS[parameter.name]) {
      parameter.schema = PATH_PARAMETERS[parameter.name];
    }
    if (parameter.in !== 'header') {
      kept.push(parameter);
      continue;
    }
    const name = parameter.name.toLowerCase();
    const seen = headers.get(name);
    parameter.required = false;
    if (!seen) {
      headers.set(name, parameter);
      kept.push(parameter);
    } else if (!seen.description && parameter.description) {
      kept[kept.indexOf(seen)] = parameter;
      headers.set(name, parameter);
    }
  }
  operation.parameters = kept as Operation['parameters'];
}

/** Any JSON value: Swagger gives every member a type, these have none. */
function widenAnyJsonMembers(document: OpenAPIObject): void {
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    const properties =
      (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
    for (const property of Object.values(properties)) {
      if (property[responses.ANY_JSON]) {
        delete property.type;
        delete property[responses.ANY_JSON];
      }
    }
  }
}

function isClass(value: unknown): value is Class {
  return typeof value === 'function' && /^class\s/.test(Function.prototype.toString.call(value));
}
