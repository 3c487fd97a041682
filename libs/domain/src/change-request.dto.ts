import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  Equals,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { EVENT_TYPES, type EventType } from './event.model.js';
import { EnvelopeDto } from './envelope.dto.js';
import { FreeFormJson } from './json-limits.js';
import { CHANGE_REQUEST_APPLIED } from './change-request.model.js';

export const MAX_CHANGES_PER_REQUEST = 100;

/**
 * One change: an event's type and data. The data is kept exactly as sent and checked
 * against the data class of its type by `validateChanges`, the very check the worker
 * runs on an envelope of that type.
 */
export class ProposedChangeDto {
  @IsIn(EVENT_TYPES)
  type: EventType;

  @IsObject()
  @FreeFormJson({ checkedElsewhere: true })
  data: Record<string, unknown>;

  @IsOptional()
  @IsInt()
  @Min(0)
  expectedVersion?: number;
}

/** A request's changes, as proposed and as applied: 1 to 100, each a `ProposedChangeDto`. */
function proposedChanges(): PropertyDecorator {
  // In the order TypeScript applies stacked decorators (bottom first), which is the
  // order class-validator reports what fails.
  const rules = [
    Type(() => ProposedChangeDto),
    ValidateNested({ each: true }),
    ArrayMaxSize(MAX_CHANGES_PER_REQUEST),
    ArrayMinSize(1),
    IsArray(),
  ];
  return (target, member) => rules.forEach((rule) => rule(target, member));
}

export class CreateChangeRequestDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title: string;

  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason: string;

  @proposedChanges()
  changes: ProposedChangeDto[];

  /** When the worker applies the request on its own once approved (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true })
  applyAt?: string;
}

/** The body of approve, reject, cancel and apply. */
export class ReviewDto {
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}

export class ChangeRequestAppliedDataDto {
  @IsUUID()
  changeRequestId: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  author: string;

  @IsString()
  @MaxLength(1000)
  reason: string;

  @proposedChanges()
  changes: ProposedChangeDto[];
}

/** The envelope of `change-request.applied`; its changes are checked as `CreateChangeRequestDto`'s are. */
export class ChangeRequestAppliedEnvelopeDto extends EnvelopeDto {
  @Equals(CHANGE_REQUEST_APPLIED)
  type: typeof CHANGE_REQUEST_APPLIED;

  @Matches(/^change-request:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: 'aggregate must be change-request:{id}',
  })
  aggregate: string;

  @ValidateNested()
  @Type(() => ChangeRequestAppliedDataDto)
  data: ChangeRequestAppliedDataDto;
}
