import { removePolicy, setDefaultPolicy, setPolicy } from './policy.rules.js';
import {
  emptyDefaultPolicyAggregate,
  emptyServiceAggregate,
  type DefaultPolicyAggregate,
  type ServiceAggregate,
} from './governance-state.js';
import {
  EARLIER,
  NOW,
  aPolicy,
  aServiceAggregate,
  acceptedOf,
  anEvent,
  refusalOf,
} from './governance.test-helpers.js';

const quota = (env: string, extra = {}, enabled = true) =>
  anEvent(
    'policy.set',
    { slug: 'checkout', type: 'quota', env, enabled, spec: { limit: 9, period: 'hour' } },
    extra,
  );

describe(setPolicy.name, () => {
  it('creates a policy at version 1', () => {
    const decision = acceptedOf(setPolicy(aServiceAggregate(), quota('prod', {}, false)));
    const created = aPolicy({
      env: 'prod',
      enabled: false,
      spec: { limit: 9, period: 'hour' },
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    });
    expect(decision.state.policies).toStrictEqual([created]);
    expect(decision.change).toStrictEqual({ after: created, version: 1 });
  });

  it('replaces the policy of the same type and env, one version up, and keeps the others', () => {
    const other = aPolicy({ env: 'prod' });
    const state = aServiceAggregate({ policies: [aPolicy(), other] });
    const decision = acceptedOf(setPolicy(state, quota('*', { expectedVersion: 2 })));
    const replaced = aPolicy({ spec: { limit: 9, period: 'hour' }, version: 3, updatedAt: NOW });
    expect(decision.state.policies).toStrictEqual([replaced, other]);
    expect(decision.change).toStrictEqual({ before: aPolicy(), after: replaced, version: 3 });
    expect(replaced.createdAt).toBe(EARLIER);
  });

  it.each<[string, ServiceAggregate, object, object]>([
    [
      'a service that does not exist',
      emptyServiceAggregate('checkout'),
      {},
      { code: 'not-found', reason: 'service checkout does not exist' },
    ],
    [
      'a stale expectation',
      aServiceAggregate({ policies: [aPolicy()] }),
      { expectedVersion: 1 },
      {
        code: 'conflict',
        reason: 'policy quota (*) of checkout is at version 2, the write expected version 1',
      },
    ],
    [
      'an expectation on a policy that is not there',
      aServiceAggregate(),
      { expectedVersion: 1 },
      {
        code: 'conflict',
        reason: 'policy quota (*) of checkout is at version 0, the write expected version 1',
      },
    ],
  ])('refuses %s', (_, state, extra, refusal) => {
    expect(refusalOf(setPolicy(state, quota('*', extra)))).toStrictEqual(refusal);
  });
});

describe(removePolicy.name, () => {
  const removal = (env: string, extra = {}) =>
    anEvent('policy.removed', { slug: 'checkout', type: 'quota', env }, extra);

  it('removes only the override it names', () => {
    const kept = aPolicy({ env: 'prod' });
    const state = aServiceAggregate({ policies: [aPolicy(), kept] });
    const decision = acceptedOf(removePolicy(state, removal('*', { expectedVersion: 2 })));
    expect(decision.state.policies).toStrictEqual([kept]);
    expect(decision.change).toStrictEqual({ before: aPolicy() });
  });

  it.each<[string, ServiceAggregate, object, object]>([
    [
      'a service that does not exist',
      emptyServiceAggregate('checkout'),
      {},
      { code: 'not-found', reason: 'service checkout does not exist' },
    ],
    [
      'an override that is not there',
      aServiceAggregate({ policies: [aPolicy({ env: 'prod' })] }),
      {},
      { code: 'not-found', reason: 'checkout has no quota policy for env *' },
    ],
    [
      'a stale expectation',
      aServiceAggregate({ policies: [aPolicy()] }),
      { expectedVersion: 5 },
      {
        code: 'conflict',
        reason: 'policy quota (*) of checkout is at version 2, the write expected version 5',
      },
    ],
  ])('refuses %s', (_, state, extra, refusal) => {
    expect(refusalOf(removePolicy(state, removal('*', extra)))).toStrictEqual(refusal);
  });
});

describe(setDefaultPolicy.name, () => {
  const rateLimit = (enabled: boolean | undefined, extra = {}) =>
    anEvent(
      'default-policy.set',
      {
        type: 'rate-limit',
        spec: { requestsPerSecond: 10, burst: 5 },
        ...(enabled === undefined ? {} : { enabled }),
      },
      extra,
    );
  const existing = (): DefaultPolicyAggregate => ({
    kind: 'default-policy',
    type: 'rate-limit',
    policy: {
      type: 'rate-limit',
      enabled: false,
      spec: { requestsPerSecond: 1, burst: 0 },
      version: 4,
      createdAt: EARLIER,
      updatedAt: EARLIER,
    },
  });

  it.each<[string, boolean | undefined, boolean]>([
    ['is enabled when the event does not say', undefined, true],
    ['is disabled when the event says so', false, false],
    ['is enabled when the event says so', true, true],
  ])('a default %s', (_, enabled, expected) => {
    const decision = acceptedOf(
      setDefaultPolicy(emptyDefaultPolicyAggregate('rate-limit'), rateLimit(enabled)),
    );
    expect(decision.state.policy).toStrictEqual({
      type: 'rate-limit',
      enabled: expected,
      spec: { requestsPerSecond: 10, burst: 5 },
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    });
    expect(decision.change).toStrictEqual({ after: decision.state.policy, version: 1 });
  });

  it('replaces a default one version up, created when it was', () => {
    const decision = acceptedOf(
      setDefaultPolicy(existing(), rateLimit(undefined, { expectedVersion: 4 })),
    );
    expect(decision.state.policy).toMatchObject({ version: 5, createdAt: EARLIER, enabled: true });
    expect(decision.change.before).toStrictEqual(existing().policy);
  });

  it.each<[string, DefaultPolicyAggregate, number, string]>([
    [
      'a stale expectation',
      existing(),
      3,
      'default rate-limit policy is at version 4, the write expected version 3',
    ],
    [
      'an expectation on a default that is not there',
      emptyDefaultPolicyAggregate('rate-limit'),
      1,
      'default rate-limit policy is at version 0, the write expected version 1',
    ],
  ])('refuses %s', (_, state, expectedVersion, reason) => {
    expect(refusalOf(setDefaultPolicy(state, rateLimit(true, { expectedVersion })))).toStrictEqual({
      code: 'conflict',
      reason,
    });
  });
});
