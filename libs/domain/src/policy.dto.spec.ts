import { validateEventData } from './event-validation.js';
import { POLICY_SPECS } from './policy.dto.js';
import { POLICY_TYPES, type PolicyType } from './policy.model.js';

// Policies are validated through the event data, as both edges do: the HTTP write's
// body plus the path's identifiers, then the spec against the spec class of its type.

const VALID: Record<PolicyType, Record<string, unknown>> = {
  'rate-limit': { requestsPerSecond: 50, burst: 100 },
  quota: { limit: 10_000, period: 'day' },
  access: { allow: ['billing', 'ledger'], deny: ['legacy-batch'] },
  'circuit-breaker': { errorRatePercent: 50, windowSeconds: 30, cooldownSeconds: 60 },
};

function policyErrors(type: PolicyType, spec: unknown, extra: Record<string, unknown> = {}) {
  return validateEventData('policy.set', {
    slug: 'checkout',
    type,
    env: '*',
    enabled: true,
    spec,
    ...extra,
  });
}

const fieldsOf = (errors: { field: string }[]) => [...new Set(errors.map((e) => e.field))].sort();

describe('policy specs', () => {
  it('has a spec class for every policy type', () => {
    expect(Object.keys(POLICY_SPECS).sort()).toEqual([...POLICY_TYPES].sort());
  });

  it.each(POLICY_TYPES)(
    'accepts a valid %s spec, as an override and as a global default',
    (type) => {
      expect(policyErrors(type, VALID[type])).toEqual([]);
      expect(validateEventData('default-policy.set', { type, spec: VALID[type] })).toEqual([]);
    },
  );

  it.each(POLICY_TYPES)('names each missing field of a %s spec', (type) => {
    expect(fieldsOf(policyErrors(type, {}))).toEqual(
      Object.keys(VALID[type])
        .map((f) => `spec.${f}`)
        .sort(),
    );
  });

  it.each(POLICY_TYPES)('refuses an unknown field in a %s spec', (type) => {
    expect(fieldsOf(policyErrors(type, { ...VALID[type], colour: 'blue' }))).toEqual([
      'spec.colour',
    ]);
  });

  it.each(POLICY_TYPES)('refuses a %s spec that is not an object', (type) => {
    expect(fieldsOf(policyErrors(type, [VALID[type]]))).toEqual(['spec']);
    expect(fieldsOf(policyErrors(type, 'fast'))).toEqual(['spec']);
  });

  it('checks the spec against the type of the path, not against any type', () => {
    expect(fieldsOf(policyErrors('quota', VALID['rate-limit']))).toEqual([
      'spec.burst',
      'spec.limit',
      'spec.period',
      'spec.requestsPerSecond',
    ]);
  });

  describe.each([
    [
      'rate-limit',
      'requestsPerSecond',
      [0.001, 1, 1e6],
      [0, -1, '5', null, Number.POSITIVE_INFINITY],
    ],
    ['rate-limit', 'burst', [0, 1, 500], [-1, 1.5, '10', true]],
    ['quota', 'limit', [1, 1_000_000], [0, -5, 2.5, '100']],
    ['quota', 'period', ['minute', 'hour', 'day', 'month'], ['week', 'DAY', '', 1]],
    [
      'access',
      'allow',
      [[], ['billing'], ['a1', 'ledger-v2']],
      ['billing', ['Not_A_Slug'], [1], null, Array(1001).fill('svc')],
    ],
    ['access', 'deny', [[], ['legacy-batch']], [{}, ['x'], ['UPPER']]],
    ['circuit-breaker', 'errorRatePercent', [1, 50, 100], [0, 101, 50.5, '50']],
    ['circuit-breaker', 'windowSeconds', [1, 3600], [0, -1, 1.5]],
    ['circuit-breaker', 'cooldownSeconds', [1, 600], [0, -10, 'soon']],
  ] as [PolicyType, string, unknown[], unknown[]][])('%s %s', (type, field, good, bad) => {
    // Wrapped, so that an array value reaches the test as one argument.
    it.each(good.map((value) => [value]))('accepts %p', (value) => {
      expect(policyErrors(type, { ...VALID[type], [field]: value })).toEqual([]);
    });

    it.each(bad.map((value) => [value]))('refuses %p and names spec.' + field, (value) => {
      expect(fieldsOf(policyErrors(type, { ...VALID[type], [field]: value }))).toEqual([
        `spec.${field}`,
      ]);
    });
  });

  describe('the policy around the spec', () => {
    it.each(['*', 'prod', 'eu-west-1'])('accepts env %p', (env) => {
      expect(policyErrors('quota', VALID.quota, { env })).toEqual([]);
    });

    it.each(['', 'PROD', '**', '1prod', 'a'.repeat(33)])('refuses env %p', (env) => {
      expect(fieldsOf(policyErrors('quota', VALID.quota, { env }))).toEqual(['env']);
    });

    it('requires enabled as a boolean on an override, but not on a global default', () => {
      expect(fieldsOf(policyErrors('quota', VALID.quota, { enabled: 'yes' }))).toEqual(['enabled']);
      expect(
        validateEventData('default-policy.set', {
          type: 'quota',
          enabled: false,
          spec: VALID.quota,
        }),
      ).toEqual([]);
      expect(
        fieldsOf(
          validateEventData('default-policy.set', { type: 'quota', enabled: 1, spec: VALID.quota }),
        ),
      ).toEqual(['enabled']);
    });

    it('refuses an unknown policy type and unknown fields beside the spec', () => {
      expect(
        fieldsOf(
          validateEventData('policy.set', {
            slug: 'checkout',
            type: 'retry',
            env: '*',
            enabled: true,
            spec: {},
          }),
        ),
      ).toEqual(['type']);
      expect(fieldsOf(policyErrors('quota', VALID.quota, { priority: 1 }))).toEqual(['priority']);
    });

    it('keeps a change message within 1000 characters', () => {
      expect(policyErrors('quota', VALID.quota, { reason: 'raise for the launch' })).toEqual([]);
      expect(fieldsOf(policyErrors('quota', VALID.quota, { reason: 'x'.repeat(1001) }))).toEqual([
        'reason',
      ]);
    });
  });
});
