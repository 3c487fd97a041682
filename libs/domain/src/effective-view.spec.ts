import {
  EffectivePolicyResolver,
  effectiveEtag,
  effectiveVersion,
  type DefaultsSnapshot,
  type ServiceSnapshot,
} from './effective-view.js';
import type { DefaultPolicyState, PolicyState } from './policy.model.js';

type Level = 'absent' | 'enabled' | 'disabled';
const LEVELS: Level[] = ['absent', 'enabled', 'disabled'];

const spec = (burst: number) => ({ requestsPerSecond: 10, burst });
const GLOBAL_SPEC = spec(1);
const STAR_SPEC = spec(2);
const NAMED_SPEC = spec(3);

function override(env: string, level: Level, burstSpec: Record<string, unknown>): PolicyState[] {
  return level === 'absent'
    ? []
    : [
        {
          slug: 'checkout',
          type: 'rate-limit',
          env,
          enabled: level === 'enabled',
          spec: burstSpec,
        },
      ];
}

function globalDefault(level: Level): DefaultPolicyState[] {
  return level === 'absent'
    ? []
    : [{ type: 'rate-limit', enabled: level === 'enabled', spec: GLOBAL_SPEC }];
}

/** The winner is the most specific level that exists; it alone decides. */
function expected(global: Level, star: Level, named: Level): Record<string, unknown> | undefined {
  const [winner, winnerSpec] =
    named !== 'absent'
      ? [named, NAMED_SPEC]
      : star !== 'absent'
        ? [star, STAR_SPEC]
        : [global, GLOBAL_SPEC];
  return winner === 'enabled' ? winnerSpec : undefined;
}

const combinations = LEVELS.flatMap((global) =>
  LEVELS.flatMap((star) => LEVELS.map((named) => [global, star, named] as const)),
);

describe(EffectivePolicyResolver.name, () => {
  describe('resolve', () => {
    it.each(combinations)('global %s, service * %s, service prod %s', (global, star, named) => {
      const service = [...override('*', star, STAR_SPEC), ...override('prod', named, NAMED_SPEC)];
      const policies = EffectivePolicyResolver.resolve('prod', service, globalDefault(global));
      expect(policies['rate-limit']).toEqual(expected(global, star, named));
      expect(Object.keys(policies)).toEqual(expected(global, star, named) ? ['rate-limit'] : []);
    });

    it("ignores another environment's override", () => {
      const service = override('staging', 'enabled', NAMED_SPEC);
      expect(EffectivePolicyResolver.resolve('prod', service, globalDefault('enabled'))).toEqual({
        'rate-limit': GLOBAL_SPEC,
      });
    });

    it('does not let a disabled override fall through to the global default', () => {
      const service = override('*', 'disabled', STAR_SPEC);
      expect(EffectivePolicyResolver.resolve('prod', service, globalDefault('enabled'))).toEqual(
        {},
      );
    });

    it('resolves each policy type on its own', () => {
      const service: PolicyState[] = [
        {
          slug: 'checkout',
          type: 'quota',
          env: 'prod',
          enabled: true,
          spec: { limit: 5, period: 'day' },
        },
        {
          slug: 'checkout',
          type: 'access',
          env: '*',
          enabled: false,
          spec: { allow: [], deny: [] },
        },
      ];
      const defaults: DefaultPolicyState[] = [
        { type: 'access', enabled: true, spec: { allow: ['billing'], deny: [] } },
        {
          type: 'circuit-breaker',
          enabled: true,
          spec: { errorRatePercent: 50, windowSeconds: 10, cooldownSeconds: 30 },
        },
        { type: 'quota', enabled: true, spec: { limit: 1, period: 'hour' } },
      ];
      expect(EffectivePolicyResolver.resolve('prod', service, defaults)).toEqual({
        quota: { limit: 5, period: 'day' },
        'circuit-breaker': { errorRatePercent: 50, windowSeconds: 10, cooldownSeconds: 30 },
      });
    });
  });

  describe('compose', () => {
    const snapshot: ServiceSnapshot = {
      service: {
        slug: 'checkout',
        name: 'Checkout',
        owner: 'team-commerce',
        tier: 1,
        lifecycle: 'production',
        tags: ['payments'],
        links: [{ title: 'Runbook', url: 'https://runbooks.example.com' }],
        description: 'Takes the money',
      },
      policies: override('prod', 'enabled', NAMED_SPEC),
      config: [
        { env: 'prod', key: 'timeout', value: 800 },
        { env: 'staging', key: 'timeout', value: 5000 },
        { env: 'prod', key: 'flags', value: { beta: false } },
      ],
      revision: 7,
    };
    const defaults: DefaultsSnapshot = { policies: globalDefault('enabled'), revision: 3 };

    it("gives the environment's configuration and the service's public fields only", () => {
      const view = EffectivePolicyResolver.compose(
        'prod',
        snapshot,
        defaults,
        new Date('2026-01-01T00:00:00Z'),
      );
      expect(view).toEqual({
        service: {
          slug: 'checkout',
          name: 'Checkout',
          owner: 'team-commerce',
          tier: 1,
          lifecycle: 'production',
          tags: ['payments'],
        },
        policies: { 'rate-limit': NAMED_SPEC },
        config: { timeout: 800, flags: { beta: false } },
        version: 10,
        computedAt: '2026-01-01T00:00:00.000Z',
      });
    });

    it('answers an environment without configuration with the defaults and an empty config', () => {
      const view = EffectivePolicyResolver.compose('dev', snapshot, defaults);
      expect(view.policies).toEqual({ 'rate-limit': GLOBAL_SPEC });
      expect(view.config).toEqual({});
    });
  });

  describe('version and ETag', () => {
    it('moves the version and the ETag when either revision grows', () => {
      expect(effectiveVersion(7, 4)).toBeGreaterThan(effectiveVersion(7, 3));
      expect(effectiveVersion(8, 3)).toBeGreaterThan(effectiveVersion(7, 3));
      expect(effectiveEtag(7, 3)).toBe('"e7.3"');
      expect(effectiveEtag(8, 2)).not.toBe(effectiveEtag(7, 3));
    });
  });
});
