import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import * as serviceDtos from '#domain/service.dto';
import * as policyDtos from '#domain/policy.dto';
import * as configDtos from '#domain/config.dto';
import * as eventDtos from '#domain/event.dto';
import * as envelopeDtos from '#domain/envelope.dto';
import * as protectionDtos from '#domain/protection.dto';
import * as changeRequestDtos from '#domain/change-request.dto';
import { SLUG_PATTERN } from '#domain/service.model';
import { ENV_PATTERN, POLICY_TYPES } from '#domain/policy.model';
import { CONFIG_KEY_PATTERN } from '#domain/config.model';
import { REQUIRED_ROLE_EXTENSION } from '../auth/roles.decorator.js';
import * as pageQueryDtos from '../http/page-query.dto.js';
import * as pathParamDtos from '../http/path-params.dto.js';
import * as listServicesDtos from '../services/list-services-query.dto.js';
import * as auditDtos from '../audit/audit-query.dto.js';
import * as deadLetterDtos from '../admin-dlq/dead-letters.dto.js';
import * as replayDtos from '../admin-ops/replay.dto.js';
import * as adminCacheDtos from '../admin-cache/admin-cache.dto.js';
import * as configHistoryDtos from '../config/config-history.dto.js';
import * as effectiveDtos from '../effective/effective-query.dto.js';
import * as watchDtos from '../watch/watch-query.dto.js';
import * as promoteDtos from '../promotion/promote.dto.js';
import * as transferDtos from '../transfer/transfer.dto.js';
import * as changeRequestQueryDtos from '../change-requests/change-request-query.dto.js';
import * as responses from './response.schemas.js';
import { addValidationKeywords, classesOf } from './validation-keywords.js';

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

/**
 * The classes whose validation rules the document shows (see validation-keywords.ts):
 * request bodies, queries and paths, and the answers made from them; a new `*.dto.ts` module
 * belongs here.
 */
const VALIDATED_MODELS = classesOf(
  responses,
  serviceDtos,
  policyDtos,
  configDtos,
  eventDtos,
  envelopeDtos,
  protectionDtos,
  changeRequestDtos,
  pageQueryDtos,
  pathParamDtos,
  listServicesDtos,
  auditDtos,
  deadLetterDtos,
  replayDtos,
  adminCacheDtos,
  configHistoryDtos,
  effectiveDtos,
  watchDtos,
  promoteDtos,
  transferDtos,
  changeRequestQueryDtos,
);

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
 * Request shapes come from the DTOs, documented at build time by the swagger compiler
 * plugin from their types and validation rules (tools/build.mjs); the role each
 * operation needs comes from its `@RequireRole`, the same decorator the guard reads.
 */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
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
  addValidationKeywords(document, VALIDATED_MODELS);
  describeFreeFormMembers(document);
  annotateOperations(document);
  widenAnyJsonMembers(document);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Warden API',
  });
  return document;
}

/**
 * Members whose shape validation checks elsewhere: a spec against its policy type, a
 * value as any JSON. The plugin sees only their TypeScript type (an object, unknown).
 */
function describeFreeFormMembers(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<
    string,
    { properties?: Record<string, Record<string, unknown>> }
  >;
  const describe = (models: string[], member: string, schema: Record<string, unknown>) => {
    for (const model of models) {
      const properties = schemas[model]?.properties;
      if (properties?.[member]) properties[member] = { ...schema };
    }
  };
  describe(
    ['SetPolicyDto', 'SetDefaultPolicyDto', 'PolicyEntryDto', 'DefaultPolicyEntryDto'],
    'spec',
    responses.policySpecSchema,
  );
  describe(['SetConfigDto', 'ConfigItemDto'], 'value', responses.anyJsonSchema);
}

/** The role each operation needs (its `@RequireRole`, `reader` without one), its 401 and 403. */
function annotateOperations(document: OpenAPIObject): void {
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
      const annotated = operation as Operation & Record<string, unknown>;
      const role = (annotated[REQUIRED_ROLE_EXTENSION] as string | undefined) ?? 'reader';
      if (role === 'public') {
        delete annotated[REQUIRED_ROLE_EXTENSION];
        operation.security = [];
        continue;
      }
      operation.security = [{ bearer: [] }];
      annotated[REQUIRED_ROLE_EXTENSION] = role;
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
