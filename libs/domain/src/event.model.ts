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

export type EventStatus = 'accepted' | 'applied' | 'rejected' | 'dead-lettered';

export function serviceAggregate(slug: string): string {
  return `service:${slug}`;
}

export function defaultsAggregate(type: string): string {
  return `defaults:${type}`;
}
