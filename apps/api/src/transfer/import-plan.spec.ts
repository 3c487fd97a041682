import { planImport, sameJson, type CurrentState } from './import-plan.js';
import type { ImportContents } from './import-plan.js';
import type { ServiceHoldings } from '#persistence/governance.repository';

const stamp = { createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };

const fields = {
  slug: 'checkout',
  name: 'Checkout',
  owner: 'team-commerce',
  tier: 1,
  lifecycle: 'production' as const,
  tags: ['payments'],
  links: [{ title: 'Runbook', url: 'https://runbooks.example.com' }],
  description: 'Takes the money',
};

function holdings(overrides: Partial<ServiceHoldings> = {}): ServiceHoldings {
  return {
    service: { ...fields, version: 4, ...stamp },
    policies: [
      {
        slug: 'checkout',
        type: 'rate-limit',
        env: '*',
        enabled: true,
        spec: { burst: 10, requestsPerSecond: 5 },
        version: 2,
        ...stamp,
      },
    ],
    config: [
      {
        slug: 'checkout',
        env: 'prod',
        key: 'timeout',
        value: { ms: 800, retries: 2 },
        version: 7,
        ...stamp,
      },
    ],
    revision: 13,
    ...overrides,
  };
}

const doc = (document: Record<string, unknown>) => document as unknown as ImportContents;
const nothing: CurrentState = { services: new Map(), defaults: [] };
const existing: CurrentState = { services: new Map([['checkout', holdings()]]), defaults: [] };

const sameAsStored = {
  service: fields,
  policies: [
    { type: 'rate-limit', env: '*', enabled: true, spec: { requestsPerSecond: 5, burst: 10 } },
  ],
  config: [{ env: 'prod', key: 'timeout', value: { retries: 2, ms: 800 } }],
};

describe(planImport.name, () => {
  it('creates a new service first, then its policies and configuration, expecting them absent', () => {
    const plan = planImport(doc({ services: [sameAsStored] }), nothing);
    expect(plan.errors).toEqual([]);
    expect(
      plan.changes.map((c) => [c.resource, c.action, c.command?.type, c.command?.expectedVersion]),
    ).toEqual([
      ['service', 'create', 'service.registered', undefined],
      ['policy', 'create', 'policy.set', 0],
      ['config', 'create', 'config.set', 0],
    ]);
    expect(plan.changes[0].command?.data).toEqual(fields);
    expect(plan.changes[1].command?.data).toEqual({
      slug: 'checkout',
      type: 'rate-limit',
      env: '*',
      enabled: true,
      spec: { requestsPerSecond: 5, burst: 10 },
    });
  });

  it('leaves unchanged what already equals the document, whatever the order of JSON members', () => {
    const plan = planImport(doc({ services: [sameAsStored] }), existing);
    expect(plan.changes.map((c) => [c.resource, c.action])).toEqual([
      ['service', 'unchanged'],
      ['policy', 'unchanged'],
      ['config', 'unchanged'],
    ]);
    expect(plan.changes.every((c) => c.command === undefined)).toBe(true);
  });

  it('patches only the service fields that differ, removing what the document lacks', () => {
    const { description: _d, ...withoutDescription } = fields;
    const plan = planImport(
      doc({ services: [{ service: { ...withoutDescription, tier: 0 } }] }),
      existing,
    );
    expect(plan.changes).toEqual([
      {
        resource: 'service',
        slug: 'checkout',
        action: 'update',
        command: {
          type: 'service.updated',
          data: { slug: 'checkout', tier: 0, description: null },
          expectedVersion: 4,
        },
      },
    ]);
  });

  it('updates a policy or an entry that differs, expecting the version it saw', () => {
    const plan = planImport(
      doc({
        services: [
          {
            service: fields,
            policies: [
              {
                type: 'rate-limit',
                env: '*',
                enabled: false,
                spec: { requestsPerSecond: 5, burst: 10 },
              },
            ],
            config: [
              {
                env: 'prod',
                key: 'timeout',
                value: { ms: 800, retries: 2 },
                description: 'upstream',
              },
            ],
          },
        ],
      }),
      existing,
    );
    expect(
      plan.changes.slice(1).map((c) => [c.resource, c.action, c.command?.expectedVersion]),
    ).toEqual([
      ['policy', 'update', 2],
      ['config', 'update', 7],
    ]);
  });

  it('leaves alone what the document does not list', () => {
    const plan = planImport(doc({ services: [{ service: fields }] }), existing);
    expect(plan.changes.map((c) => c.resource)).toEqual(['service']);
  });

  it('plans global defaults, enabled unless the document says otherwise', () => {
    const current: CurrentState = {
      services: new Map(),
      defaults: [
        { type: 'quota', enabled: true, spec: { limit: 5, period: 'day' }, version: 3, ...stamp },
      ],
    };
    const plan = planImport(
      doc({
        services: [],
        defaults: [
          { type: 'quota', spec: { period: 'day', limit: 5 } },
          { type: 'access', spec: { allow: [], deny: ['legacy'] } },
        ],
      }),
      current,
    );
    expect(
      plan.changes.map((c) => [c.resource, c.type, c.action, c.command?.data.enabled]),
    ).toEqual([
      ['default-policy', 'quota', 'unchanged', undefined],
      ['default-policy', 'access', 'create', true],
    ]);
    const disabled = planImport(
      doc({
        services: [],
        defaults: [{ type: 'quota', enabled: false, spec: { limit: 5, period: 'day' } }],
      }),
      current,
    );
    expect(disabled.changes[0]).toMatchObject({
      action: 'update',
      command: { expectedVersion: 3 },
    });
  });

  it("carries the document's reason into every event", () => {
    const plan = planImport(
      doc({ reason: 'migrate from Nacos', services: [sameAsStored] }),
      nothing,
    );
    expect(plan.changes.map((c) => c.command?.data.reason)).toEqual(
      Array(3).fill('migrate from Nacos'),
    );
  });

  it("checks each spec against its type and names the document's field", () => {
    const plan = planImport(
      doc({
        services: [
          {
            service: fields,
            policies: [
              { type: 'quota', env: '*', enabled: true, spec: { limit: 5, period: 'day' } },
              {
                type: 'rate-limit',
                env: 'prod',
                enabled: true,
                spec: { requestsPerSecond: 5, burst: -1 },
              },
            ],
          },
        ],
        defaults: [
          {
            type: 'circuit-breaker',
            spec: { errorRatePercent: 101, windowSeconds: 1, cooldownSeconds: 1 },
          },
        ],
      }),
      nothing,
    );
    expect(plan.errors.map((e) => e.field)).toEqual([
      'defaults.0.spec.errorRatePercent',
      'services.0.policies.1.spec.burst',
    ]);
  });

  it('refuses a document that lists a service, a policy, an entry or a default twice', () => {
    const policy = { type: 'quota', env: '*', enabled: true, spec: { limit: 5, period: 'day' } };
    const entry = { env: 'prod', key: 'a', value: 1 };
    const plan = planImport(
      doc({
        services: [
          {
            service: fields,
            policies: [policy, { ...policy, enabled: false }],
            config: [entry, { ...entry, value: 2 }],
          },
          { service: { ...fields, name: 'Again' } },
        ],
        defaults: [
          { type: 'quota', spec: { limit: 1, period: 'day' } },
          { type: 'quota', spec: { limit: 2, period: 'day' } },
        ],
      }),
      nothing,
    );
    expect(plan.errors.map((e) => e.field)).toEqual([
      'defaults.1.type',
      'services.0.policies.1',
      'services.0.config.1',
      'services.1.service.slug',
    ]);
  });
});

describe(sameJson.name, () => {
  it('compares JSON values regardless of member order but not of array order', () => {
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson(null, undefined)).toBe(false);
    expect(sameJson(undefined, undefined)).toBe(true);
  });
});
