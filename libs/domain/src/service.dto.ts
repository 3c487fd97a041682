import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { LIFECYCLES, SLUG_PATTERN, TEAM_PATTERN, type Lifecycle } from './service.model.js';

/** Validates a member whenever it is present, so `null` cannot remove a required field. */
const PresentIfGiven = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

export class ServiceLinkDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title: string;

  @IsUrl({ require_tld: false, require_protocol: true })
  @MaxLength(2048)
  url: string;
}

/** Optional change message that the audit keeps; every write body may carry it. */
export class ReasonDto {
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

/** The body of `DELETE /v1/services/{slug}`: only the optional change message. */
export class RegisterServiceDto extends ReasonDto {
  @Matches(SLUG_PATTERN, { message: 'slug must match ^[a-z][a-z0-9-]{1,62}$' })
  slug: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @Matches(TEAM_PATTERN, { message: 'owner must be a team slug (^[a-z][a-z0-9-]{0,62}$)' })
  owner: string;

  @IsInt()
  @Min(0)
  @Max(3)
  tier: number;

  @IsIn(LIFECYCLES)
  lifecycle: Lifecycle;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  tags?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ServiceLinkDto)
  links?: ServiceLinkDto[];

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  description?: string;
}

/**
 * A JSON merge patch of a service. `null` removes an optional member (`description`,
 * `tags`, `links`); the required members cannot be removed, which validation enforces
 * because `null` fails their type checks.
 */
export class UpdateServiceDto extends ReasonDto {
  @PresentIfGiven()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @PresentIfGiven()
  @Matches(TEAM_PATTERN, { message: 'owner must be a team slug (^[a-z][a-z0-9-]{0,62}$)' })
  owner?: string;

  @PresentIfGiven()
  @IsInt()
  @Min(0)
  @Max(3)
  tier?: number;

  @PresentIfGiven()
  @IsIn(LIFECYCLES)
  lifecycle?: Lifecycle;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  tags?: string[] | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ServiceLinkDto)
  links?: ServiceLinkDto[] | null;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  description?: string | null;
}
