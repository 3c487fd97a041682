import { IsOptional, IsUUID, Matches } from 'class-validator';
import { ENV_PATTERN } from '#domain/policy.model';
import { SLUG_PATTERN } from '#domain/service.model';

const ENV_MESSAGE = 'env must be an environment name (^[a-z][a-z0-9-]{0,31}$)';

/** `GET /v1/watch`: one environment, and either a list of services or an owning team. */
export class WatchQueryDto {
  @Matches(ENV_PATTERN, { message: ENV_MESSAGE })
  env: string;

  /** Comma-separated service slugs, at most 1,000. */
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{1,62}(,[a-z][a-z0-9-]{1,62})*$/, {
    message: 'services must be a comma-separated list of service slugs',
  })
  services?: string;

  @IsOptional()
  @Matches(SLUG_PATTERN, { message: 'owner must be a team slug' })
  owner?: string;
}

export class DeliveryQueryDto {
  @Matches(ENV_PATTERN, { message: ENV_MESSAGE })
  env: string;

  /** An applied change (an audit entry's `eventId`): how many watchers hold a view that has it. */
  @IsOptional()
  @IsUUID('all', { message: 'event must be an event id (a UUID)' })
  event?: string;
}
