import {
  ApiProperty,
  ApiPropertyOptional,
  IntersectionType,
  OmitType,
  getSchemaPath,
} from '@nestjs/swagger';
import { RegisterServiceDto } from '#domain/service.dto';
import { AccessSpec, CircuitBreakerSpec, QuotaSpec, RateLimitSpec } from '#domain/policy.dto';
import { AUDIT_ENTRY_TYPES } from '#domain/admin-action.model';
import { LIFECYCLES } from '#domain/service.model';
import { POLICY_TYPES } from '#domain/policy.model';

// What the API answers, for the OpenAPI document only: request bodies are documented
// from their validation rules (see validation-schema.ts); answers have no such rules.

/** The spec classes of the four policy types, which a `spec` member is one of. */
export const POLICY_SPEC_MODELS = [RateLimitSpec, QuotaSpec, AccessSpec, CircuitBreakerSpec];

export const policySpecSchema = {
  description:
    "The policy type's spec: rate-limit → RateLimitSpec, quota → QuotaSpec, access → AccessSpec, circuit-breaker → CircuitBreakerSpec",
  oneOf: POLICY_SPEC_MODELS.map((model) => ({ $ref: getSchemaPath(model) })),
};

/** Marks a member that holds any JSON value; the document drops the type Swagger infers for it. */
export const ANY_JSON = 'x-any-json';

export const anyJsonSchema = {
  description: 'Any JSON value (null included), at most 64 KiB once serialised',
  nullable: true,
  [ANY_JSON]: true,
};

export class FieldErrorSchema {
  @ApiProperty({
    example: 'spec.burst',
    description: 'Dotted path of the invalid field in the request',
  })
  field: string;

  @ApiProperty({ example: 'burst must not be less than 0' })
  message: string;
}

/** RFC 9457 problem document; every error leaves the API in this shape. */
export class ProblemSchema {
  @ApiProperty({ example: 'https://warden.dev/problems/validation' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiPropertyOptional({ example: 'The request is not valid: see errors' })
  detail?: string;

  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'One entry per invalid field' })
  errors?: FieldErrorSchema[];

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The event a rejection belongs to (waited writes)',
  })
  eventId?: string;
}

export class AcceptedWriteSchema {
  @ApiProperty({ format: 'uuid' })
  eventId: string;

  @ApiProperty({
    enum: ['accepted', 'applied'],
    description: '`applied` only when the resource changed again before it could be read back',
  })
  status: string;
}

export class VersionedSchema {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Grows by one per applied change; the ETag',
  })
  version: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class ServiceResourceSchema extends IntersectionType(
  OmitType(RegisterServiceDto, ['reason'] as const),
  VersionedSchema,
) {}

export class ServicePageSchema {
  @ApiProperty({ type: [ServiceResourceSchema] })
  items: ServiceResourceSchema[];

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor: string | null;
}

export class PolicyResourceSchema extends VersionedSchema {
  @ApiProperty({ example: 'checkout' })
  slug: string;

  @ApiProperty({ enum: POLICY_TYPES })
  type: string;

  @ApiProperty({ example: '*', description: '`*` (every environment) or an environment name' })
  env: string;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty(policySpecSchema)
  spec: Record<string, unknown>;
}

export class PolicyListSchema {
  @ApiProperty({ type: [PolicyResourceSchema] })
  items: PolicyResourceSchema[];
}

export class DefaultPolicyResourceSchema extends VersionedSchema {
  @ApiProperty({ enum: POLICY_TYPES })
  type: string;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty(policySpecSchema)
  spec: Record<string, unknown>;
}

export class DefaultPolicyListSchema {
  @ApiProperty({ type: [DefaultPolicyResourceSchema] })
  items: DefaultPolicyResourceSchema[];
}

export class ConfigEntryResourceSchema extends VersionedSchema {
  @ApiProperty({ example: 'checkout' })
  slug: string;

  @ApiProperty({ example: 'prod' })
  env: string;

  @ApiProperty({ example: 'timeouts.upstreamMs' })
  key: string;

  @ApiProperty(anyJsonSchema)
  value: unknown;

  @ApiPropertyOptional()
  description?: string;

  @ApiPropertyOptional({
    enum: [true],
    description:
      'Present on a secret entry: `value` is `"***"` for tokens without the `secrets` scope',
  })
  secret?: boolean;
}

export class ConfigListSchema {
  @ApiProperty({ type: [ConfigEntryResourceSchema] })
  items: ConfigEntryResourceSchema[];
}

export class ConfigVersionSchema {
  @ApiProperty({ type: 'integer', minimum: 1 })
  version: number;

  @ApiProperty(anyJsonSchema)
  value: unknown;

  @ApiPropertyOptional()
  description?: string;

  @ApiPropertyOptional({
    enum: [true],
    description:
      'Present on a secret entry: `value` is `"***"` for tokens without the `secrets` scope',
  })
  secret?: boolean;

  @ApiProperty({ example: 'rolled-back to 2', description: '`set` or `rolled-back to N`' })
  change: string;

  @ApiProperty({ format: 'uuid' })
  eventId: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class ConfigHistorySchema {
  @ApiProperty({ type: [ConfigVersionSchema], description: 'Newest first' })
  items: ConfigVersionSchema[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor: string | null;
}

export class EffectiveServiceSchema {
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty() owner: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 3 }) tier: number;
  @ApiProperty({ enum: LIFECYCLES }) lifecycle: string;
  @ApiProperty({ type: [String] }) tags: string[];
}

export class EffectiveViewSchema {
  @ApiProperty({ type: EffectiveServiceSchema })
  service: EffectiveServiceSchema;

  @ApiProperty({
    type: 'object',
    additionalProperties: policySpecSchema,
    description:
      'Policy type → spec of the winning, enabled policy (service+env over service+`*` over the global default); a type with no enabled winner is absent',
    example: { 'rate-limit': { requestsPerSecond: 50, burst: 100 } },
  })
  policies: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "Key → value of the service's configuration for the environment",
    example: { 'timeouts.upstreamMs': 800 },
  })
  config: Record<string, unknown>;

  @ApiProperty({ type: 'integer', description: 'Grows whenever any input of the view changes' })
  version: number;

  @ApiProperty({ format: 'date-time' })
  computedAt: string;
}

export class AuditEntrySchema {
  @ApiProperty({ format: 'uuid' })
  eventId: string;

  @ApiProperty({
    enum: AUDIT_ENTRY_TYPES,
    description:
      'An applied event, or an admin action (`admin.*`, with `eventId` an id of its own)',
  })
  type: string;

  @ApiProperty({
    example: 'service:checkout',
    description:
      "The event's aggregate, or what an admin action acted on (`dead-letter:42`, `cache:all`)",
  })
  aggregate: string;

  @ApiProperty({
    example: 'alice',
    description: "The token's name for API writes, the envelope's actor otherwise",
  })
  actor: string;

  @ApiPropertyOptional({ description: 'The change message the writer gave' })
  reason?: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'The changed resource version (absent for deletions)',
  })
  version?: number;

  @ApiProperty({
    ...anyJsonSchema,
    description: 'The resource before the change; null when it was created',
  })
  before: unknown;

  @ApiProperty({
    ...anyJsonSchema,
    description: 'The resource after the change; null when it was deleted',
  })
  after: unknown;

  @ApiProperty({ format: 'date-time', description: 'When the producer made the change' })
  occurredAt: string;

  @ApiProperty({ format: 'date-time', description: 'When the worker applied it' })
  appliedAt: string;

  @ApiProperty({
    description:
      'True when an outside producer (source kafka) changed a target that protection rules cover, without the change request a direct write needs',
  })
  protectionBypassed: boolean;

  @ApiPropertyOptional({
    type: [String],
    description: 'The protection rules the change bypassed (only when protectionBypassed)',
  })
  bypassedRules?: string[];
}

export class AuditPageSchema {
  @ApiProperty({ type: [AuditEntrySchema], description: 'Newest first' })
  items: AuditEntrySchema[];

  @ApiProperty({ type: 'string', nullable: true })
  nextCursor: string | null;
}

export class EventStatusSchema {
  @ApiProperty({ format: 'uuid' })
  eventId: string;

  @ApiProperty({ enum: ['accepted', 'applied', 'rejected', 'dead-lettered'] })
  status: string;

  @ApiProperty({ example: 'service:checkout' })
  aggregate: string;

  @ApiPropertyOptional({ description: 'Why it was rejected or dead-lettered' })
  reason?: string;

  @ApiPropertyOptional({ type: 'integer' })
  version?: number;
}

export class ImportSummarySchema {
  @ApiProperty({ type: 'integer' }) create: number;
  @ApiProperty({ type: 'integer' }) update: number;
  @ApiProperty({ type: 'integer' }) unchanged: number;
}

export class ImportedChangeSchema {
  @ApiProperty({ enum: ['service', 'policy', 'config', 'default-policy'] })
  resource: string;

  @ApiProperty({ enum: ['create', 'update', 'unchanged'] })
  action: string;

  @ApiPropertyOptional() slug?: string;
  @ApiPropertyOptional({ enum: POLICY_TYPES }) type?: string;
  @ApiPropertyOptional() env?: string;
  @ApiPropertyOptional() key?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The event that makes the change (not for a dry run)',
  })
  eventId?: string;

  @ApiPropertyOptional({
    enum: ['accepted', 'applied', 'rejected', 'dead-lettered', 'not-accepted'],
    description: "The event's status; `applied`/`rejected` only with `Prefer: wait`",
  })
  status?: string;

  @ApiPropertyOptional({ description: 'Why the event was rejected or not accepted' })
  reason?: string;
}

export class ImportReportSchema {
  @ApiProperty()
  dryRun: boolean;

  @ApiProperty({ type: ImportSummarySchema })
  summary: ImportSummarySchema;

  @ApiProperty({
    type: [ImportedChangeSchema],
    description: 'One entry per resource the document lists, in publishing order',
  })
  changes: ImportedChangeSchema[];
}
