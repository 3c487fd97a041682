import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { PageQueryDto } from '../http/page-query.dto.js';

/** A page of an entry's history, or with `from` and `to` the JSON Patch between two versions. */
export class ConfigHistoryQueryDto extends PageQueryDto {
  /** With `to`: the version the patch starts from. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  from?: number;

  /** With `from`: the version the patch leads to. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  to?: number;
}
