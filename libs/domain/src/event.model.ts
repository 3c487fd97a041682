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

export function serviceAggregate(slug: string): string {
  return `service:${slug}`;
}

export function defaultsAggregate(type: string): string {
  return `defaults:${type}`;
}
