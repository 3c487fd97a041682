import { IntersectionType, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { ReasonDto, RegisterServiceDto } from '#domain/service.dto';
import { SetDefaultPolicyDto, SetPolicyDto } from '#domain/policy.dto';
import { SetConfigDto } from '#domain/config.dto';
import { ENV_PATTERN, POLICY_TYPES, type PolicyType } from '#domain/policy.model';
import { CONFIG_KEY_PATTERN } from '#domain/config.model';
import { TEAM_PATTERN } from '#domain/service.model';

// The export document and the import document's parts are built from the write DTOs,
// so an exported service validates exactly as the writes that made it did. A policy's
// spec is checked against its type when the import is planned (see import-plan.ts).

export const MAX_IMPORTED_SERVICES = 500;

/** A service's own fields, as registering it takes them. */
export class ServiceFieldsDto extends OmitType(RegisterServiceDto, ['reason'] as const) {}

export class PolicyEntryDto extends OmitType(SetPolicyDto, ['reason'] as const) {
  @IsIn(POLICY_TYPES)
  type: PolicyType;
}

export class ConfigItemDto extends OmitType(SetConfigDto, ['reason'] as const) {
  @Matches(ENV_PATTERN, { message: 'env must be an environment name (^[a-z][a-z0-9-]{0,31}$)' })
  env: string;

  @Matches(CONFIG_KEY_PATTERN, { message: 'key must match ^[a-zA-Z0-9._-]{1,128}$' })
  key: string;
}

export class DefaultPolicyEntryDto extends OmitType(SetDefaultPolicyDto, ['reason'] as const) {
  @IsIn(POLICY_TYPES)
  type: PolicyType;
}

/** One service with everything it owns: what export answers and what import takes. */
export class ServiceDocumentDto {
  @IsDefined()
  @ValidateNested()
  @Type(() => ServiceFieldsDto)
  service: ServiceFieldsDto;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PolicyEntryDto)
  policies?: PolicyEntryDto[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2000)
  @ValidateNested({ each: true })
  @Type(() => ConfigItemDto)
  config?: ConfigItemDto[];
}

/** `{ "staging": "prod" }`: every name an environment, each value an environment. */
function IsEnvMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEnvMap',
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.entries(value).every(
            ([from, to]) =>
              ENV_PATTERN.test(from) && typeof to === 'string' && ENV_PATTERN.test(to),
          ),
        defaultMessage: () =>
          'envMap must map environment names to environment names (^[a-z][a-z0-9-]{0,31}$)',
      },
    },
    options,
  );
}

/**
 * Services to create or bring to the state the document describes, and optionally the
 * global defaults: either what `GET /v1/export` answers (`services`, `defaults`) or, as
 * is, what `GET /v1/services/{slug}/export` answers (`service`, `policies`, `config`).
 * What the document does not list is left as it is.
 */
export class ImportDocumentDto extends IntersectionType(
  ReasonDto,
  // One service's export (`service`, `policies`, `config`), given as is instead of `services`.
  PartialType(ServiceDocumentDto),
) {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_IMPORTED_SERVICES)
  @ValidateNested({ each: true })
  @Type(() => ServiceDocumentDto)
  services?: ServiceDocumentDto[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(POLICY_TYPES.length)
  @ValidateNested({ each: true })
  @Type(() => DefaultPolicyEntryDto)
  defaults?: DefaultPolicyEntryDto[];

  /** Renames environments on the way in: `{ "staging": "prod" }` imports staging as prod. */
  @IsOptional()
  @IsEnvMap()
  envMap?: Record<string, string>;
}

/** Which services `GET /v1/export` answers; none given: all of them. */
export class ExportQueryDto {
  @IsOptional()
  @Matches(TEAM_PATTERN, { message: 'owner must be a team slug (^[a-z][a-z0-9-]{0,62}$)' })
  owner?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  tag?: string;
}

/** What `GET /v1/export` answers and `POST /v1/import` takes back unchanged. */
export class ExportDocumentDto {
  services: ServiceDocumentDto[];
  defaults: DefaultPolicyEntryDto[];
}

export class ImportQueryDto {
  /** `true` answers what would change and changes nothing. */
  @IsOptional()
  @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}
