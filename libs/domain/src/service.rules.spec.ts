import { deleteService, registerService, updateService } from './service.rules.js';
import { emptyServiceAggregate, type ServiceAggregate } from './governance-state.js';
import type { Decision } from './decision.js';
import type { DomainEvent } from './event-validation.js';
import {
  EARLIER,
  NOW,
  aLineage,
  aPolicy,
  aServiceAggregate,
  aServiceResource,
  acceptedOf,
  anEntry,
  anEvent,
  refusalOf,
} from './governance.test-helpers.js';

const registration = (extra: { expectedVersion?: number } = {}) =>
  anEvent(
    'service.registered',
    { slug: 'checkout', name: 'Checkout', owner: 'payments', tier: 1, lifecycle: 'production' },
    extra,
  );

describe(registerService.name, () => {
  it('registers a slug that is free at version 1, timestamped by the event', () => {
    const decision = acceptedOf(registerService(emptyServiceAggregate('checkout'), registration()));
    const service = {
      slug: 'checkout',
      name: 'Checkout',
      owner: 'payments',
      tier: 1,
      lifecycle: 'production',
      tags: [],
      links: [],
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    };
    expect(decision.state.service).toStrictEqual(service);
    expect(decision.change).toStrictEqual({ after: service, version: 1 });
  });

  it('keeps tags, links and description as sent and never stores the reason', () => {
    const event = anEvent('service.registered', {
      slug: 'checkout',
      name: 'Checkout',
      owner: 'payments',
      tier: 0,
      lifecycle: 'experimental',
      tags: ['edge', 'pci'],
      links: [{ title: 'Runbook', url: 'https://runbooks.example/checkout' }],
      description: 'takes the money',
      reason: 'new service',
    });
    const { state } = acceptedOf(registerService(emptyServiceAggregate('checkout'), event));
    expect(state.service).toMatchObject({
      tags: ['edge', 'pci'],
      links: [{ title: 'Runbook', url: 'https://runbooks.example/checkout' }],
      description: 'takes the money',
    });
    expect(state.service).not.toHaveProperty('reason');
  });

  it('accepts an expectation of version 0 on a free slug', () => {
    const decision = registerService(
      emptyServiceAggregate('checkout'),
      registration({ expectedVersion: 0 }),
    );
    expect(decision.ok).toBe(true);
  });

  it.each<[string, ServiceAggregate, DomainEvent & { type: 'service.registered' }, object]>([
    [
      'a slug that is taken',
      aServiceAggregate(),
      registration(),
      { code: 'conflict', reason: 'service checkout already exists' },
    ],
    [
      'a taken slug even with an expectation of 0',
      aServiceAggregate(),
      registration({ expectedVersion: 0 }),
      { code: 'conflict', reason: 'service checkout already exists' },
    ],
    [
      'an expectation of a version other than 0',
      emptyServiceAggregate('checkout'),
      registration({ expectedVersion: 2 }),
      {
        code: 'conflict',
        reason: 'service checkout is at version 0, the write expected version 2',
      },
    ],
  ])('refuses %s', (_, state, event, refusal) => {
    expect(refusalOf(registerService(state, event))).toStrictEqual(refusal);
  });
});

describe(updateService.name, () => {
  const update = (
    patch: Omit<(DomainEvent & { type: 'service.updated' })['data'], 'slug'>,
    extra = {},
  ) => anEvent('service.updated', { slug: 'checkout', ...patch }, extra);

  it.each<[string, Parameters<typeof update>[0], object]>([
    ['replaces the fields it names', { tier: 0, name: 'Till' }, { tier: 0, name: 'Till' }],
    ['replaces a list whole', { tags: ['core'] }, { tags: ['core'] }],
    ['empties a list set to null', { tags: null, links: null }, { tags: [], links: [] }],
    ['leaves the fields it does not name', { owner: 'shop' }, { name: 'Checkout', tier: 1 }],
  ])('%s', (_, patch, expected) => {
    const { state } = acceptedOf(updateService(aServiceAggregate(), update(patch)));
    expect(state.service).toMatchObject(expected);
  });

  it('removes the description when the patch sets it to null', () => {
    const before = aServiceAggregate({ service: aServiceResource({ description: 'old' }) });
    const { state } = acceptedOf(updateService(before, update({ description: null })));
    expect(state.service).not.toHaveProperty('description');
  });

  it('answers the service before and after, one version up, created when it was', () => {
    const decision = acceptedOf(
      updateService(
        aServiceAggregate(),
        update({ tier: 2, reason: 'why' }, { expectedVersion: 3 }),
      ),
    );
    expect(decision.change).toStrictEqual({
      before: aServiceResource(),
      after: aServiceResource({ tier: 2, version: 4, createdAt: EARLIER, updatedAt: NOW }),
      version: 4,
    });
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
      aServiceAggregate(),
      { expectedVersion: 2 },
      {
        code: 'conflict',
        reason: 'service checkout is at version 3, the write expected version 2',
      },
    ],
  ])('refuses %s', (_, state, extra, refusal) => {
    expect(refusalOf(updateService(state, update({ tier: 0 }, extra)))).toStrictEqual(refusal);
  });
});

describe(deleteService.name, () => {
  const deletion = (extra = {}) => anEvent('service.deleted', { slug: 'checkout' }, extra);

  it('takes the policies, the configuration and its history with the service', () => {
    const state = aServiceAggregate({
      policies: [aPolicy()],
      config: [anEntry()],
      history: [aLineage()],
    });
    const decision = acceptedOf(deleteService(state, deletion({ expectedVersion: 3 })));
    expect(decision.state).toStrictEqual(emptyServiceAggregate('checkout'));
    expect(decision.change).toStrictEqual({ before: aServiceResource() });
    expect(decision.history).toStrictEqual({ kind: 'erased' });
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
      aServiceAggregate(),
      { expectedVersion: 4 },
      {
        code: 'conflict',
        reason: 'service checkout is at version 3, the write expected version 4',
      },
    ],
  ])('refuses %s', (_, state, extra, refusal) => {
    expect(refusalOf(deleteService(state, deletion(extra)))).toStrictEqual(refusal);
  });

  it('changes nothing it was given', () => {
    const state = aServiceAggregate({ policies: [aPolicy()] });
    const copy = structuredClone(state);
    const decision: Decision = deleteService(state, deletion());
    expect(decision.ok).toBe(true);
    expect(state).toStrictEqual(copy);
  });
});
