import { OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsOptional,
  Matches,
  ValidateNested,
} from 'class-validator';
import { ReasonDto, RegisterServiceDto } from '#domain/service.dto';
import { SetDefaultPolicyDto, SetPolicyDto } from '#domain/policy.dto';
import { SetConfigDto } from '#domain/config.dto';
import { ENV_PATTERN, POLICY_TYPES, type PolicyType } from '#domain/policy.model';
import { CONFIG_KEY_PATTERN } from '#domain/config.model';

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

/**
 * Services to create or bring to the state the document describes, and optionally the
 * global defaults. What the document does not list is left as it is.
 */
export class ImportDocumentDto extends ReasonDto {
  @IsArray()
  @ArrayMaxSize(MAX_IMPORTED_SERVICES)
  @ValidateNested({ each: true })
  @Type(() => ServiceDocumentDto)
  services: ServiceDocumentDto[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(POLICY_TYPES.length)
  @ValidateNested({ each: true })
  @Type(() => DefaultPolicyEntryDto)
  defaults?: DefaultPolicyEntryDto[];
}

export class ImportQueryDto {
  /** `true` answers what would change and changes nothing. */
  @IsOptional()
  @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}
