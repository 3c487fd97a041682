import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { LIFECYCLES, TEAM_PATTERN, type Lifecycle } from '#domain/service.model';
import { PageQueryDto } from '../http/page-query.dto.js';

/** The filters of `GET /v1/services`, paged like every list. */
export class ListServicesQueryDto extends PageQueryDto {
  @IsOptional()
  @Matches(TEAM_PATTERN)
  owner?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3)
  tier?: number;

  @IsOptional()
  @IsIn(LIFECYCLES)
  lifecycle?: Lifecycle;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  tag?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
