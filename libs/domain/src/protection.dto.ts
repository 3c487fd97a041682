import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ReasonDto } from './service.dto.js';
import { SLUG_PATTERN } from './service.model.js';
import { ENV_PATTERN } from './policy.model.js';

/** The name of a protection rule, in its path: the same form as a service slug. */
export const PROTECTION_RULE_NAME_PATTERN = SLUG_PATTERN;

/** The most approvals a rule may ask: more would be a request nobody can complete. */
export const MAX_RULE_APPROVALS = 10;

/**
 * Which targets a rule covers. A member left out covers everything; a member present
 * must list at least one value, since an empty list would be a rule that matches nothing.
 */
export class ProtectionMatchDto {
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(3, { each: true })
  tiers?: number[];

  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(100)
  @Matches(ENV_PATTERN, {
    each: true,
    message: 'each of envs must match ^[a-z][a-z0-9-]{0,31}$',
  })
  envs?: string[];

  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(1000)
  @Matches(SLUG_PATTERN, {
    each: true,
    message: 'each of services must match ^[a-z][a-z0-9-]{1,62}$',
  })
  services?: string[];
}

/** The body of `PUT /v1/protection-rules/{name}`. */
export class PutProtectionRuleDto extends ReasonDto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ProtectionMatchDto)
  match: ProtectionMatchDto;

  @IsInt()
  @Min(1)
  @Max(MAX_RULE_APPROVALS)
  approvals: number;
}
