import { decide, decideAll, emptyAggregateOf } from './governance.rules.js';
import {
  emptyDefaultPolicyAggregate,
  emptyServiceAggregate,
  serviceSnapshotOf,
  type AggregateState,
} from './governance-state.js';
import { EVENT_TYPES, type EventType } from './event.model.js';
import type { DomainEvent } from './event-validation.js';
import {
  aLineage,
  aPolicy,
  aServiceAggregate,
  acceptedOf,
  anEntry,
  anEvent,
  refusalOf,
} from './governance.test-helpers.js';

const key = { slug: 'checkout', env: 'prod', key: 'timeout' };

/** Per event type: an event and a state it applies to, with what it must answer. */
const CASES: Record<EventType, { event: DomainEvent; state: AggregateState; version?: number }> = {
  'service.registered': {
    event: anEvent('service.registered', {
      slug: 'checkout',
      name: 'Checkout',
      owner: 'payments',
      tier: 1,
      lifecycle: 'production',
    }),
    state: emptyServiceAggregate('checkout'),
    version: 1,
  },
  'service.updated': {
    event: anEvent('service.updated', { slug: 'checkout', tier: 0 }),
    state: aServiceAggregate(),
    version: 4,
  },
  'service.deleted': {
    event: anEvent('service.deleted', { slug: 'checkout' }),
    state: aServiceAggregate(),
  },
  'policy.set': {
    event: anEvent('policy.set', {
      slug: 'checkout',
      type: 'quota',
      env: '*',
      enabled: true,
      spec: { limit: 1, period: 'day' },
    }),
    state: aServiceAggregate({ policies: [aPolicy()] }),
    version: 3,
  },
  'policy.removed': {
    event: anEvent('policy.removed', { slug: 'checkout', type: 'quota', env: '*' }),
    state: aServiceAggregate({ policies: [aPolicy()] }),
  },
  'default-policy.set': {
    event: anEvent('default-policy.set', { type: 'quota', spec: { limit: 1, period: 'day' } }),
    state: emptyDefaultPolicyAggregate('quota'),
    version: 1,
  },
  'config.set': {
    event: anEvent('config.set', { ...key, value: 1 }),
    state: aServiceAggregate({ config: [anEntry()], history: [aLineage()] }),
    version: 3,
  },
  'config.rolled-back': {
    event: anEvent('config.rolled-back', { ...key, toVersion: 1 }),
    state: aServiceAggregate({ config: [anEntry()], history: [aLineage()] }),
    version: 3,
  },
  'config.deleted': {
    event: anEvent('config.deleted', key),
    state: aServiceAggregate({ config: [anEntry()], history: [aLineage()] }),
  },
};

describe(decide.name, () => {
  it.each(EVENT_TYPES.map((type) => [type, CASES[type]] as const))(
    'applies %s with the rule of its type',
    (_, { event, state, version }) => {
      const decision = acceptedOf(decide(state, event));
      expect(decision.change.version).toBe(version);
      expect(decision.state).not.toBe(state);
    },
  );

  it.each(EVENT_TYPES.map((type) => [type, CASES[type]] as const))(
    'refuses %s with a stale expectation as a conflict',
    (_, { event }) => {
      const stale = { ...event, expectedVersion: 42 } as DomainEvent;
      const state = CASES[event.type].state;
      expect(refusalOf(decide(state, stale))).toMatchObject({
        code: 'conflict',
        reason: expect.stringContaining('the write expected version 42'),
      });
    },
  );

  it('will not apply an event to the state of another aggregate', () => {
    const event = anEvent('service.deleted', { slug: 'billing' });
    expect(() => decide(aServiceAggregate(), event)).toThrow(/another aggregate/);
  });
});

describe(emptyAggregateOf.name, () => {
  it('starts a service or a default with nothing in it', () => {
    expect(emptyAggregateOf(CASES['policy.set'].event)).toStrictEqual(
      emptyServiceAggregate('checkout'),
    );
    expect(emptyAggregateOf(CASES['default-policy.set'].event)).toStrictEqual(
      emptyDefaultPolicyAggregate('quota'),
    );
  });
});

describe(decideAll.name, () => {
  const register = CASES['service.registered'].event;
  const setEntry = anEvent('config.set', { ...key, value: 'a' });
  const rollBack = anEvent('config.rolled-back', { ...key, toVersion: 1 });

  it('applies each event to the state its predecessors left, starting from nothing', () => {
    const result = decideAll(new Map(), [register, setEntry, rollBack]);
    if (!result.ok) throw new Error(result.rejection.message);
    expect(result.decisions.map((d) => d.change.version)).toStrictEqual([1, 1, 2]);
    const state = result.states.get('service:checkout');
    expect(state).toMatchObject({ config: [{ value: 'a', version: 2 }] });
  });

  it('refuses the whole sequence at its first refusal, and says which event', () => {
    const states = new Map<string, AggregateState>([['service:checkout', aServiceAggregate()]]);
    const result = decideAll(states, [setEntry, register, rollBack]);
    expect(result).toMatchObject({ ok: false, index: 1 });
    expect(states.get('service:checkout')).toStrictEqual(aServiceAggregate());
  });

  it('keeps aggregates apart', () => {
    const other = anEvent('config.set', { slug: 'billing', env: 'prod', key: 'k', value: 1 });
    const result = decideAll(new Map(), [register, other]);
    expect(result).toMatchObject({ ok: false, index: 1 });
    expect(refusalOf(decide(emptyServiceAggregate('billing'), other))).toStrictEqual({
      code: 'not-found',
      reason: 'service billing does not exist',
    });
  });
});

describe(serviceSnapshotOf.name, () => {
  it('answers the service without bookkeeping, its policies and configuration in order', () => {
    const state = aServiceAggregate({
      policies: [aPolicy({ type: 'quota', env: 'prod' }), aPolicy({ type: 'access', env: '*' })],
      config: [anEntry({ env: 'prod', key: 'b' }), anEntry({ env: 'dev', key: 'z' })],
    });
    const snapshot = serviceSnapshotOf(state, 9);
    expect(snapshot?.service).not.toHaveProperty('version');
    expect(snapshot?.policies.map((p) => `${p.type}/${p.env}`)).toStrictEqual([
      'access/*',
      'quota/prod',
    ]);
    expect(snapshot?.config).toStrictEqual([
      { env: 'dev', key: 'z', value: 100 },
      { env: 'prod', key: 'b', value: 100 },
    ]);
    expect(snapshot?.revision).toBe(9);
  });

  it('answers nothing for a service that does not exist', () => {
    expect(serviceSnapshotOf(emptyServiceAggregate('checkout'), 3)).toBeUndefined();
  });
});
