import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsOptional,
  Matches,
} from 'class-validator';
import { ReasonDto } from '#domain/service.dto';
import { ENV_PATTERN } from '#domain/policy.model';
import { CONFIG_KEY_PATTERN } from '#domain/config.model';

/** The body of `POST /v1/services/{slug}/config/promote`. */
export class PromoteConfigDto extends ReasonDto {
  @Matches(ENV_PATTERN, { message: 'from must be an environment (^[a-z][a-z0-9-]{0,31}$)' })
  from: string;

  @Matches(ENV_PATTERN, { message: 'to must be an environment (^[a-z][a-z0-9-]{0,31}$)' })
  to: string;

  /** Only these keys; without, every key of `from`. */
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(500)
  @Matches(CONFIG_KEY_PATTERN, {
    each: true,
    message: 'each of keys must match ^[a-zA-Z0-9._-]{1,128}$',
  })
  keys?: string[];

  /** Answer the diff and change nothing. */
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}
