import {
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../http/page-query.dto.js';
import { AUDIT_AGGREGATE_PATTERN, AUDIT_ENTRY_TYPES } from '#domain/admin-action.model';

export class AuditQueryDto extends PageQueryDto {
  /** `service:{slug}` or `defaults:{type}`, or an admin action's target (`dead-letter:{id}`, `cache:all`, …). */
  @IsOptional()
  @Matches(AUDIT_AGGREGATE_PATTERN, {
    message:
      'aggregate must be service:{slug}, defaults:{policy type} or an admin target (dead-letter:{id}, replay:{id}, cache:all, cache:{aggregate}, tokens, protection-rule:{name})',
  })
  aggregate?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  actor?: string;

  @IsOptional()
  /** An event type, or an admin action's (`admin.dlq.redrive`, …). */
  @IsIn(AUDIT_ENTRY_TYPES)
  type?: (typeof AUDIT_ENTRY_TYPES)[number];

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
}
