export const POLICY_TYPES = ['rate-limit', 'quota', 'access', 'circuit-breaker'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const ANY_ENV = '*';
export const ENV_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export function isPolicyType(value: string): value is PolicyType {
  return (POLICY_TYPES as readonly string[]).includes(value);
}

export interface PolicyState {
  slug: string;
  type: PolicyType;
  /** `*` applies to every environment; a named environment overrides it. */
  env: string;
  enabled: boolean;
  spec: Record<string, unknown>;
}

export interface DefaultPolicyState {
  type: PolicyType;
  enabled: boolean;
  spec: Record<string, unknown>;
}
