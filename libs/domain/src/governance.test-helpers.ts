import { randomUUID } from 'node:crypto';
import type { DomainEvent } from './event-validation.js';
import { defaultsAggregate, serviceAggregate, type EventType } from './event.model.js';
import type { Decision } from './decision.js';
import {
  emptyServiceAggregate,
  type ConfigEntryResource,
  type ConfigLineage,
  type PolicyResource,
  type ServiceAggregate,
} from './governance-state.js';
import type { ServiceResource } from './service.model.js';

export const EARLIER = '2026-01-01T00:00:00.000Z';
export const NOW = '2026-03-01T12:00:00.000Z';

/** A valid event of `type` for `data`, occurring at NOW unless told otherwise. */
export function anEvent<T extends EventType>(
  type: T,
  data: Extract<DomainEvent, { type: T }>['data'],
  extra: { expectedVersion?: number; occurredAt?: string } = {},
): Extract<DomainEvent, { type: T }> {
  const aggregate =
    type === 'default-policy.set'
      ? defaultsAggregate((data as { type: string }).type)
      : serviceAggregate((data as { slug: string }).slug);
  return {
    id: randomUUID(),
    type,
    aggregate,
    actor: 'tester',
    occurredAt: extra.occurredAt ?? NOW,
    schemaVersion: 1,
    ...(extra.expectedVersion !== undefined ? { expectedVersion: extra.expectedVersion } : {}),
    data,
  } as Extract<DomainEvent, { type: T }>;
}

/** A registration of `slug` owned by team-a, tier 1, in production. */
export function aRegistration(slug: string) {
  return anEvent('service.registered', {
    slug,
    name: `Svc ${slug}`,
    owner: 'team-a',
    tier: 1,
    lifecycle: 'production',
    tags: ['edge'],
  });
}

export function aServiceResource(overrides: Partial<ServiceResource> = {}): ServiceResource {
  return {
    slug: 'checkout',
    name: 'Checkout',
    owner: 'payments',
    tier: 1,
    lifecycle: 'production',
    tags: ['edge'],
    links: [],
    version: 3,
    createdAt: EARLIER,
    updatedAt: EARLIER,
    ...overrides,
  };
}

export function aPolicy(overrides: Partial<PolicyResource> = {}): PolicyResource {
  return {
    slug: 'checkout',
    type: 'quota',
    env: '*',
    enabled: true,
    spec: { limit: 5, period: 'day' },
    version: 2,
    createdAt: EARLIER,
    updatedAt: EARLIER,
    ...overrides,
  };
}

export function anEntry(overrides: Partial<ConfigEntryResource> = {}): ConfigEntryResource {
  return {
    slug: 'checkout',
    env: 'prod',
    key: 'timeout',
    value: 100,
    version: 2,
    createdAt: EARLIER,
    updatedAt: EARLIER,
    ...overrides,
  };
}

export function aLineage(overrides: Partial<ConfigLineage> = {}): ConfigLineage {
  return {
    env: 'prod',
    key: 'timeout',
    lastVersion: 2,
    versions: [
      { version: 1, value: 50, description: 'first' },
      { version: 2, value: 100 },
    ],
    ...overrides,
  };
}

/** The registered service `checkout` at version 3, with what `overrides` give it. */
export function aServiceAggregate(overrides: Partial<ServiceAggregate> = {}): ServiceAggregate {
  return { ...emptyServiceAggregate('checkout'), service: aServiceResource(), ...overrides };
}

/** The accepted decision, or a failure that says why the event was refused. */
export function acceptedOf<S extends Decision>(decision: S): Extract<S, { ok: true }> {
  if (!decision.ok) throw new Error(`refused: ${decision.rejection.message}`);
  return decision as Extract<S, { ok: true }>;
}

/** `{ code, reason }` of a refusal, or undefined for an accepted decision. */
export function refusalOf(decision: Decision): { code: string; reason: string } | undefined {
  return decision.ok
    ? undefined
    : { code: decision.rejection.code, reason: decision.rejection.message };
}
