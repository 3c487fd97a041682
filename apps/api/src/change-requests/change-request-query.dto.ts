import { IsIn, IsOptional, Matches } from 'class-validator';
import { CHANGE_REQUEST_STATUSES, type ChangeRequestStatus } from '#domain/change-request.model';
import { SLUG_PATTERN } from '#domain/service.model';
import { PageQueryDto } from '../http/page-query.dto.js';

export class ChangeRequestQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(CHANGE_REQUEST_STATUSES)
  status?: ChangeRequestStatus;

  /** Requests with at least one change to this service. */
  @IsOptional()
  @Matches(SLUG_PATTERN, { message: 'service must match ^[a-z][a-z0-9-]{1,62}$' })
  service?: string;
}
