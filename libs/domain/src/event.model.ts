export const EVENT_TYPES = [
  'service.registered',
  'service.updated',
  'service.deleted',
  'policy.set',
  'policy.removed',
  'default-policy.set',
  'config.set',
  'config.rolled-back',
  'config.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const SCHEMA_VERSION = 1;

/** What every producer, the API or an outside system, publishes to `governance.events`. */
export interface EventEnvelope<D = Record<string, unknown>> {
  id: string;
  type: EventType;
  aggregate: string;
  actor: string;
  occurredAt: string;
  schemaVersion: typeof SCHEMA_VERSION;
  expectedVersion?: number;
  data: D;
}

/** The form of an event id, and of every other id Warden hands out. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

export type EventStatus = 'accepted' | 'applied' | 'rejected' | 'dead-lettered';

const SERVICE_AGGREGATE = 'service:';
const DEFAULTS_AGGREGATE = 'defaults:';

/** The aggregate of a service and everything that belongs to it: `service:{slug}`. */
export function serviceAggregate(slug: string): string {
  return `${SERVICE_AGGREGATE}${slug}`;
}

/** The aggregate of one policy type's global default: `defaults:{type}`. */
export function defaultsAggregate(type: string): string {
  return `${DEFAULTS_AGGREGATE}${type}`;
}

/** The slug of a `service:{slug}` aggregate; undefined for any other aggregate. */
export function slugOfServiceAggregate(aggregate: string): string | undefined {
  return aggregate.startsWith(SERVICE_AGGREGATE)
    ? aggregate.slice(SERVICE_AGGREGATE.length)
    : undefined;
}

export function isDefaultsAggregate(aggregate: string): boolean {
  return aggregate.startsWith(DEFAULTS_AGGREGATE);
}
