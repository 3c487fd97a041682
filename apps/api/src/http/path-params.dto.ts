import { IsIn, Matches } from 'class-validator';
import { SLUG_PATTERN } from '#domain/service.model';
import { ENV_PATTERN, POLICY_TYPES, type PolicyType } from '#domain/policy.model';
import { CONFIG_KEY_PATTERN } from '#domain/config.model';
import { PROTECTION_RULE_NAME_PATTERN } from '#domain/protection.dto';

// The identifiers a route's path carries, validated by the global ValidationPipe as bodies
// and queries are: a bad one is a 400 naming it, before the body is looked at. Each class
// lists exactly the parameters of its routes, since unknown members are refused.

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const slugRule = () => Matches(SLUG_PATTERN, { message: 'slug must match ^[a-z][a-z0-9-]{1,62}$' });
const policyTypeRule = () =>
  IsIn(POLICY_TYPES, { message: 'type must be rate-limit, quota, access or circuit-breaker' });

export class ServicePath {
  @slugRule()
  slug: string;
}

export class ServiceEnvironmentPath extends ServicePath {
  @Matches(ENV_PATTERN, { message: 'env must match ^[a-z][a-z0-9-]{0,31}$' })
  env: string;
}

export class ConfigEntryPath extends ServiceEnvironmentPath {
  @Matches(CONFIG_KEY_PATTERN, { message: 'key must match ^[a-zA-Z0-9._-]{1,128}$' })
  key: string;
}

export class PolicyTypePath {
  @policyTypeRule()
  type: PolicyType;
}

export class ServicePolicyPath extends ServicePath {
  @policyTypeRule()
  type: PolicyType;
}

export class ChangeRequestPath {
  @Matches(UUID_PATTERN, { message: 'id must be a UUID' })
  id: string;
}

export class EventPath {
  @Matches(UUID_PATTERN, { message: 'eventId must be a UUID' })
  eventId: string;
}

export class ProtectionRulePath {
  @Matches(PROTECTION_RULE_NAME_PATTERN, { message: 'name must match ^[a-z][a-z0-9-]{1,62}$' })
  name: string;
}
