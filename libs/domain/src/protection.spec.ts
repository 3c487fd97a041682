import {
  EVERY,
  describeProtection,
  protectionOf,
  reachOf,
  ruleMatches,
  type ChangeReach,
  type ProtectionMatch,
  type ProtectionRule,
} from './protection.js';
import type { EventType } from './event.model.js';

const rule = (match: ProtectionMatch, approvals = 1, name = 'r'): ProtectionRule => ({
  name,
  match,
  approvals,
});

describe(reachOf.name, () => {
  it.each<[string, EventType, Record<string, unknown>, number | undefined, ChangeReach]>([
    [
      'a config write reaches its service, tier and environment',
      'config.set',
      { slug: 'pay', env: 'prod', key: 'k' },
      1,
      { services: ['pay'], tiers: [1], envs: ['prod'] },
    ],
    [
      'a policy for every environment reaches them all',
      'policy.set',
      { slug: 'pay', env: '*', type: 'quota' },
      2,
      { services: ['pay'], tiers: [2], envs: EVERY },
    ],
    [
      'a patch that moves the tier reaches the old and the new tier',
      'service.updated',
      { slug: 'pay', tier: 0 },
      3,
      { services: ['pay'], tiers: [3, 0], envs: EVERY },
    ],
    [
      'a registration reaches the tier it registers',
      'service.registered',
      { slug: 'pay', tier: 0 },
      undefined,
      { services: ['pay'], tiers: [0], envs: EVERY },
    ],
    [
      'a deletion reaches every environment',
      'service.deleted',
      { slug: 'pay' },
      1,
      { services: ['pay'], tiers: [1], envs: EVERY },
    ],
    [
      'a write to a service that does not exist reaches no tier',
      'config.deleted',
      { slug: 'gone', env: 'dev', key: 'k' },
      undefined,
      { services: ['gone'], tiers: [], envs: ['dev'] },
    ],
    [
      'a global default reaches everything',
      'default-policy.set',
      { type: 'quota' },
      undefined,
      { services: EVERY, tiers: EVERY, envs: EVERY },
    ],
  ])('%s', (_name, type, data, tier, expected) => {
    expect(reachOf(type, data, tier)).toEqual(expected);
  });
});

describe(ruleMatches.name, () => {
  const prodConfigOfTier1: ChangeReach = { services: ['pay'], tiers: [1], envs: ['prod'] };
  const everyEnvOfTier1: ChangeReach = { services: ['pay'], tiers: [1], envs: EVERY };
  const noTier: ChangeReach = { services: ['new'], tiers: [], envs: ['prod'] };

  it.each<[string, ProtectionMatch, ChangeReach, boolean]>([
    ['an empty match protects everything', {}, prodConfigOfTier1, true],
    ['a rule without envs matches every env', { tiers: [1] }, prodConfigOfTier1, true],
    ['a rule of another env does not match', { envs: ['staging'] }, prodConfigOfTier1, false],
    ['one of several envs is enough', { envs: ['staging', 'prod'] }, prodConfigOfTier1, true],
    ['a rule of another tier does not match', { tiers: [0] }, prodConfigOfTier1, false],
    ['a rule of another service does not match', { services: ['web'] }, prodConfigOfTier1, false],
    [
      'every named dimension must match',
      { tiers: [1], envs: ['prod'], services: ['web'] },
      prodConfigOfTier1,
      false,
    ],
    [
      'all named dimensions matching is a match',
      { tiers: [1], envs: ['prod'], services: ['pay'] },
      prodConfigOfTier1,
      true,
    ],
    [
      'a change to every environment matches an env rule',
      { envs: ['prod'] },
      everyEnvOfTier1,
      true,
    ],
    ['no tier known never matches a tier rule', { tiers: [0, 1, 2, 3] }, noTier, false],
    ['no tier known still matches by env', { envs: ['prod'] }, noTier, true],
    [
      'a global default matches any rule',
      { tiers: [0], envs: ['prod'], services: ['pay'] },
      { services: EVERY, tiers: EVERY, envs: EVERY },
      true,
    ],
  ])('%s', (_name, match, reach, expected) => {
    expect(ruleMatches(rule(match), reach)).toBe(expected);
  });
});

describe(protectionOf.name, () => {
  const prod = rule({ envs: ['prod'] }, 2, 'prod');
  const tier0 = rule({ tiers: [0] }, 3, 'tier-0');
  const payments = rule({ services: ['pay'] }, 1, 'payments');
  const rules = [payments, prod, tier0];

  it('is undefined when no rule matches', () => {
    expect(protectionOf(rules, [{ services: ['web'], tiers: [2], envs: ['dev'] }])).toBeUndefined();
    expect(protectionOf([], [{ services: EVERY, tiers: EVERY, envs: EVERY }])).toBeUndefined();
  });

  it('asks the most approvals of the matched rules, strictest first', () => {
    const protection = protectionOf(rules, [{ services: ['pay'], tiers: [0], envs: ['prod'] }]);
    expect(protection?.approvals).toBe(3);
    expect(protection?.rules.map((r) => r.name)).toEqual(['tier-0', 'prod', 'payments']);
  });

  it('takes the maximum over several changes', () => {
    const protection = protectionOf(rules, [
      { services: ['pay'], tiers: [2], envs: ['dev'] },
      { services: ['web'], tiers: [2], envs: ['prod'] },
    ]);
    expect(protection?.approvals).toBe(2);
    expect(protection?.rules.map((r) => r.name)).toEqual(['prod', 'payments']);
  });

  it('names the strictest rule and its approvals in the refusal', () => {
    const protection = protectionOf(rules, [{ services: ['pay'], tiers: [0], envs: ['prod'] }]);
    expect(describeProtection(protection!)).toBe(
      'Protected by rule "tier-0" (also matched: prod, payments): this change needs a change request with 3 approvals (POST /v1/change-requests)',
    );
  });
});
