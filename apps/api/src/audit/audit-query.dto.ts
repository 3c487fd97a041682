import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { EVENT_TYPES, type EventType } from '#domain/event.model';
import { POLICY_TYPES } from '#domain/policy.model';

const AGGREGATE = new RegExp(
  `^(service:[a-z][a-z0-9-]{1,62}|defaults:(${POLICY_TYPES.join('|')}))$`,
);

export class AuditQueryDto {
  /** `service:{slug}` or `defaults:{type}`. */
  @IsOptional()
  @Matches(AGGREGATE, { message: 'aggregate must be service:{slug} or defaults:{policy type}' })
  aggregate?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  actor?: string;

  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: EventType;

  /** The changes that this change request applied. */
  @IsOptional()
  @IsUUID()
  changeRequestId?: string;

  /** Applied at or after this instant (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  /** Applied before this instant (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
