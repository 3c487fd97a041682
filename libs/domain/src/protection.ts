import type { EventType } from './event.model.js';

/** Which targets a protection rule covers; an absent member covers every value of it. */
export interface ProtectionMatch {
  tiers?: readonly number[];
  envs?: readonly string[];
  services?: readonly string[];
}

/** An admin's rule: changes to what it matches go through a change request with `approvals`. */
export interface ProtectionRule {
  name: string;
  match: ProtectionMatch;
  approvals: number;
}

/** Every value of a dimension: a change that reaches all services, tiers or environments. */
export const EVERY = 'every';
type Reach<T> = typeof EVERY | readonly T[];

/**
 * What one change can alter, dimension by dimension. `tiers` holds the service's tier
 * before and, for a registration or a patch that moves it, after.
 */
export interface ChangeReach {
  services: Reach<string>;
  tiers: Reach<number>;
  envs: Reach<string>;
}

/** What a change needs before it may apply: the rules it matches and the approvals they ask. */
export interface Protection {
  /** The matched rules, those asking the most approvals first, then by name. */
  rules: readonly ProtectionRule[];
  /** The most approvals any matched rule asks. */
  approvals: number;
}

/**
 * What a change of `type` with `data` can alter. `currentTier` is the tier of the
 * service as it stands (undefined when it does not exist). Service-level changes
 * (registration, patch, deletion) and `*` policies reach every environment's effective
 * view; a global default reaches every service in every environment.
 */
export function reachOf(type: EventType, eventData: object, currentTier?: number): ChangeReach {
  const data = eventData as { slug?: unknown; env?: unknown; tier?: unknown };
  if (type === 'default-policy.set') return { services: EVERY, tiers: EVERY, envs: EVERY };
  const services = typeof data.slug === 'string' ? [data.slug] : [];
  const tiers = currentTier === undefined ? [] : [currentTier];
  switch (type) {
    case 'service.registered':
    case 'service.updated':
      if (typeof data.tier === 'number' && !tiers.includes(data.tier)) tiers.push(data.tier);
      return { services, tiers, envs: EVERY };
    case 'service.deleted':
      return { services, tiers, envs: EVERY };
    case 'policy.set':
    case 'policy.removed':
    case 'config.set':
    case 'config.rolled-back':
    case 'config.deleted':
      return {
        services,
        tiers,
        envs: data.env === '*' ? EVERY : typeof data.env === 'string' ? [data.env] : [],
      };
  }
}

function covers<T>(wanted: readonly T[] | undefined, reached: Reach<T>): boolean {
  if (wanted === undefined || reached === EVERY) return true;
  return reached.some((value) => wanted.includes(value));
}

/**
 * A rule matches a change when every dimension it names is reached: one of its tiers,
 * one of its environments and one of its services (a dimension it leaves out matches
 * anything, so `{}` protects everything).
 */
export function ruleMatches(rule: ProtectionRule, reach: ChangeReach): boolean {
  const { tiers, envs, services } = rule.match;
  return covers(services, reach.services) && covers(tiers, reach.tiers) && covers(envs, reach.envs);
}

/**
 * The protection of a set of changes: every rule that any of them matches, and the most
 * approvals among those rules. Undefined when no rule matches: the changes may be
 * written directly.
 */
export function protectionOf(
  rules: readonly ProtectionRule[],
  reaches: readonly ChangeReach[],
): Protection | undefined {
  const matched = rules
    .filter((rule) => reaches.some((reach) => ruleMatches(rule, reach)))
    .sort((a, b) => b.approvals - a.approvals || a.name.localeCompare(b.name));
  if (matched.length === 0) return undefined;
  return { rules: matched, approvals: matched[0].approvals };
}

/** How a refused direct write explains itself: the strictest rule and what it asks. */
export function describeProtection(protection: Protection): string {
  const [strictest, ...others] = protection.rules;
  const also = others.length > 0 ? ` (also matched: ${others.map((r) => r.name).join(', ')})` : '';
  const approvals = `${protection.approvals} approval${protection.approvals === 1 ? '' : 's'}`;
  return `Protected by rule "${strictest.name}"${also}: this change needs a change request with ${approvals} (POST /v1/change-requests)`;
}
