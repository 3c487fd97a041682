import { rowChangesOf } from './aggregate-diff.js';
import { decideAll } from '#domain/governance.rules';
import type { AggregateState } from '#domain/governance-state';
import type { DomainEvent } from '#domain/event-validation';
import {
  aLineage,
  aPolicy,
  aServiceAggregate,
  anEntry,
  anEvent,
} from '#domain/governance.test-helpers';

/** The row changes of `events` applied to `checkout` as `loaded` holds it. */
function changesOf(loaded: AggregateState, events: DomainEvent[]) {
  const states = new Map([['service:checkout', loaded]]);
  const decided = decideAll(states, events);
  if (!decided.ok) throw new Error(decided.rejection.message);
  return rowChangesOf(states, new Map([...states, ...decided.states]));
}

describe(rowChangesOf.name, () => {
  const loaded = aServiceAggregate({
    policies: [aPolicy(), aPolicy({ env: 'prod' })],
    config: [anEntry()],
    history: [aLineage()],
  });

  it('writes only the rows that an event replaced', () => {
    const changes = changesOf(loaded, [
      anEvent('policy.set', {
        slug: 'checkout',
        type: 'quota',
        env: 'prod',
        enabled: false,
        spec: { limit: 1, period: 'day' },
      }),
    ]);
    expect(changes.policies.map((p) => [p.env, p.enabled, p.version])).toStrictEqual([
      ['prod', false, 3],
    ]);
    expect(changes).toMatchObject({ services: [], config: [], removedPolicies: [] });
  });

  it('deletes what a service takes with it when it goes', () => {
    const changes = changesOf(loaded, [anEvent('service.deleted', { slug: 'checkout' })]);
    expect(changes.removedServices).toStrictEqual(['checkout']);
    expect(changes.removedPolicies).toStrictEqual([
      ['checkout', 'quota', '*'],
      ['checkout', 'quota', 'prod'],
    ]);
    expect(changes.removedConfig).toStrictEqual([['checkout', 'prod', 'timeout']]);
  });

  it('upserts a service deleted and registered again, and drops its old rows', () => {
    const changes = changesOf(loaded, [
      anEvent('service.deleted', { slug: 'checkout' }),
      anEvent('service.registered', {
        slug: 'checkout',
        name: 'Again',
        owner: 'payments',
        tier: 2,
        lifecycle: 'experimental',
      }),
    ]);
    expect(changes.removedServices).toStrictEqual([]);
    expect(changes.services).toMatchObject([{ slug: 'checkout', name: 'Again', version: 1 }]);
    expect(changes.removedPolicies).toHaveLength(2);
  });

  it('writes nothing for an aggregate that no event changed', () => {
    const states = new Map([['service:checkout', loaded]]);
    expect(rowChangesOf(states, states)).toMatchObject({
      services: [],
      policies: [],
      config: [],
      removedServices: [],
      removedPolicies: [],
      removedConfig: [],
    });
  });
});
