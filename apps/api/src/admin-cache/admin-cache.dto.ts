import { Type } from 'class-transformer';
import { Equals, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { POLICY_TYPES } from '#domain/policy.model';
import { ReasonDto } from '#domain/service.dto';

const AGGREGATE_PATTERN = new RegExp(
  `^(service:[a-z][a-z0-9-]{1,62}|defaults:(${POLICY_TYPES.join('|')}))$`,
);

/** `{ aggregate }` drops one aggregate's copies, `{ all: true }` every copy; exactly one of them. */
export class InvalidateCacheDto extends ReasonDto {
  @IsOptional()
  @Matches(AGGREGATE_PATTERN, {
    message: 'aggregate must be service:{slug} or defaults:{policy type}',
  })
  aggregate?: string;

  @IsOptional()
  @Equals(true, { message: 'all must be true when present' })
  all?: true;
}

export class ConsistencyQueryDto {
  /** How many cached entries to compare, picked at random; all of them when absent. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  sample?: number;
}
