import { diffChangeRequest, type CurrentRecord } from './change-request.diff.js';
import { parseLoggedEnvelope, validateChanges } from './event-validation.js';
import { aLineage, anEntry, aPolicy, aServiceAggregate, NOW } from './governance.test-helpers.js';
import type { ProposedChange } from './change-request.model.js';

function aRecord(): CurrentRecord {
  return {
    states: new Map([
      [
        'service:checkout',
        aServiceAggregate({
          policies: [aPolicy()],
          config: [anEntry(), anEntry({ env: 'staging', key: 'pool', value: 4, version: 1 })],
          history: [aLineage(), aLineage({ env: 'staging', key: 'pool', lastVersion: 1 })],
        }),
      ],
    ]),
    revisions: new Map([['service:checkout', 7]]),
    defaultsRevision: 2,
  };
}

const setTimeout = (value: unknown, expectedVersion?: number): ProposedChange => ({
  type: 'config.set',
  data: { slug: 'checkout', env: 'prod', key: 'timeout', value },
  ...(expectedVersion !== undefined ? { expectedVersion } : {}),
});

describe(diffChangeRequest.name, () => {
  it('shows each environment a change names, before and after, without changing the record', () => {
    const record = aRecord();
    const result = diffChangeRequest(record, [setTimeout(250)], NOW);
    expect(result).toMatchObject({
      ok: true,
      diff: [
        {
          slug: 'checkout',
          env: 'prod',
          before: { config: { timeout: 100 }, version: 9 },
          after: { config: { timeout: 250 }, version: 10 },
        },
      ],
    });
    expect(record.states.get('service:checkout')).toEqual(aRecord().states.get('service:checkout'));
  });

  it('shows every environment the service has for a change to the whole service', () => {
    const result = diffChangeRequest(
      aRecord(),
      [{ type: 'service.updated', data: { slug: 'checkout', tier: 0 } }],
      NOW,
    );
    expect(result.ok && result.diff.map((d) => [d.env, d.after?.service.tier])).toEqual([
      ['prod', 0],
      ['staging', 0],
    ]);
  });

  it('shows a removed service as null after, and a new one as null before', () => {
    const removed = diffChangeRequest(
      aRecord(),
      [{ type: 'service.deleted', data: { slug: 'checkout' } }],
      NOW,
    );
    expect(removed.ok && removed.diff.every((d) => d.before !== null && d.after === null)).toBe(
      true,
    );
    const created = diffChangeRequest(
      aRecord(),
      [
        {
          type: 'service.registered',
          data: { slug: 'fresh', name: 'Fresh', owner: 'team-a', tier: 2, lifecycle: 'production' },
        },
      ],
      NOW,
    );
    expect(created).toMatchObject({ ok: true, diff: [{ slug: 'fresh', env: '*', before: null }] });
  });

  it('names the first change the rules would refuse', () => {
    const result = diffChangeRequest(aRecord(), [setTimeout(1), setTimeout(2, 9)], NOW);
    expect(result).toMatchObject({ ok: false, index: 1, rejection: { code: 'conflict' } });
  });
});

describe('the validation of change requests', () => {
  it('names the change and the field, as the worker would for the event', () => {
    expect(
      validateChanges([
        setTimeout(1),
        { type: 'policy.set', data: { slug: 'checkout', type: 'quota', env: 'prod', spec: {} } },
        {
          type: 'policy.set',
          data: { slug: 'checkout', type: 'quota', env: 'prod', enabled: true, spec: {} },
        },
      ]).map((e) => e.field),
    ).toEqual(expect.arrayContaining(['changes[1].data.enabled', 'changes[2].data.spec.limit']));
  });

  const envelope = (
    overrides: Record<string, unknown> = {},
    changes: unknown[] = [setTimeout(1)],
  ) =>
    JSON.stringify({
      id: '3f0e5b7c-2a61-5d1e-9c4b-7a8d9e0f1a2b',
      type: 'change-request.applied',
      aggregate: 'change-request:7c9e6679-7425-40de-944b-e07fc1f90ae7',
      actor: 'bob',
      occurredAt: NOW,
      schemaVersion: 1,
      data: {
        changeRequestId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        author: 'alice',
        reason: 'r',
        changes,
      },
      ...overrides,
    });

  it('reads a change-request.applied envelope with its changes exactly as sent', () => {
    const value = { constructor: 1, nested: { __proto__x: true } };
    const parsed = parseLoggedEnvelope(envelope({}, [setTimeout(value, 2)]));
    expect(parsed).toMatchObject({
      ok: true,
      event: { type: 'change-request.applied', data: { changes: [{ expectedVersion: 2 }] } },
    });
    expect(parsed.ok && parsed.event.data).toMatchObject({
      changes: [{ data: { value } }],
    });
  });

  it.each([
    [
      'an invalid change',
      envelope({}, [setTimeout(1), { type: 'config.set', data: { slug: 'x' } }]),
      'data.changes[1].data.env',
    ],
    ['no change', envelope({}, []), 'data.changes'],
    [
      'another aggregate',
      envelope({ aggregate: 'change-request:00000000-0000-4000-8000-000000000000' }),
      'aggregate',
    ],
  ])('refuses %s', (_what, raw, field) => {
    const parsed = parseLoggedEnvelope(raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.map((e) => e.field)).toContain(field);
  });

  it('refuses one keyed by another aggregate', () => {
    expect(parseLoggedEnvelope(envelope(), 'service:checkout').ok).toBe(false);
  });
});
