import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ArrayMaxSize,
  IsArray,
} from 'class-validator';
import { ReasonDto } from './service.dto.js';
import { ANY_ENV, ENV_PATTERN, type PolicyType } from './policy.model.js';
import { SLUG_PATTERN } from './service.model.js';
import { FreeFormJson } from './json-limits.js';

export class RateLimitSpec {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(Number.MIN_VALUE, { message: 'requestsPerSecond must be greater than 0' })
  requestsPerSecond: number;

  @IsInt()
  @Min(0)
  burst: number;
}

export class QuotaSpec {
  @IsInt()
  @Min(1)
  limit: number;

  @IsIn(['minute', 'hour', 'day', 'month'])
  period: 'minute' | 'hour' | 'day' | 'month';
}

export class AccessSpec {
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(SLUG_PATTERN, { each: true, message: 'each entry of allow must be a service slug' })
  allow: string[];

  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(SLUG_PATTERN, { each: true, message: 'each entry of deny must be a service slug' })
  deny: string[];
}

export class CircuitBreakerSpec {
  @IsInt()
  @Min(1)
  @Max(100)
  errorRatePercent: number;

  @IsInt()
  @Min(1)
  windowSeconds: number;

  @IsInt()
  @Min(1)
  cooldownSeconds: number;
}

/** The spec class of each policy type: the one place that ties a type to its shape. */
export const POLICY_SPECS: Record<PolicyType, new () => object> = {
  'rate-limit': RateLimitSpec,
  quota: QuotaSpec,
  access: AccessSpec,
  'circuit-breaker': CircuitBreakerSpec,
};

/** The body of a policy override's `DELETE`: only the optional change message. */
export class SetPolicyDto extends ReasonDto {
  @IsString()
  @Matches(new RegExp(`^(\\${ANY_ENV}|${ENV_PATTERN.source.slice(1, -1)})$`), {
    message: 'env must be "*" or an environment name (^[a-z][a-z0-9-]{0,31}$)',
  })
  env: string;

  @IsBoolean()
  enabled: boolean;

  /** Checked against the spec class of the path's policy type (see POLICY_SPECS). */
  @IsObject()
  @FreeFormJson()
  spec: Record<string, unknown>;
}

export class SetDefaultPolicyDto extends ReasonDto {
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsObject()
  @FreeFormJson()
  spec: Record<string, unknown>;
}
