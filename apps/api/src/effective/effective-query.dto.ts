import { Matches } from 'class-validator';
import { ENV_PATTERN } from '#domain/policy.model';

export class EffectiveQueryDto {
  /** The environment whose view is wanted; `*` is a policy level, not an environment. */
  @Matches(ENV_PATTERN, { message: 'env must be an environment name (^[a-z][a-z0-9-]{0,31}$)' })
  env: string;
}
