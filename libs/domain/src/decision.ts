import type { DomainEvent } from './event-validation.js';
import type { EventType } from './event.model.js';
import type { AggregateState, GovernanceResource } from './governance-state.js';
import { Rejection } from './rejection.js';

export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** What one event did to the resource it names: the audit's before/after and the change feed. */
export interface ResourceChange {
  /** Absent when the event created the resource. */
  before?: GovernanceResource;
  /** Absent when the event removed the resource. */
  after?: GovernanceResource;
  /** The resource's version after the change; absent for a removal. */
  version?: number;
}

/** A version that a configuration entry's history gained. */
export interface ConfigRecord {
  env: string;
  key: string;
  version: number;
  value: unknown;
  description?: string;
  secret?: true;
  eventId: string;
  /** `set`, or `rolled-back to {n}`. */
  change: string;
  recordedAt: string;
}

/**
 * The history is never held whole, so instead of a new state to compare it comes as
 * what happened to it: a version recorded (and the oldest beyond the cap dropped), or
 * the whole history of the service erased with the service.
 */
export type HistoryChange =
  | {
      kind: 'recorded';
      record: ConfigRecord;
      /** The entry's versions up to this one are dropped: the history keeps only the newest. */
      prunedThrough?: number;
    }
  | { kind: 'erased' };

export type Decision<S extends AggregateState = AggregateState> =
  | { ok: true; state: S; change: ResourceChange; history?: HistoryChange }
  | { ok: false; rejection: Rejection };

export function accepted<S extends AggregateState>(
  state: S,
  change: ResourceChange,
  history?: HistoryChange,
): Decision<S> {
  return history ? { ok: true, state, change, history } : { ok: true, state, change };
}

export function refused<S extends AggregateState>(rejection: Rejection): Decision<S> {
  return { ok: false, rejection };
}

export function serviceMissing<S extends AggregateState>(slug: string): Decision<S> {
  return refused(new Rejection('not-found', `service ${slug} does not exist`));
}

/**
 * The time an event's change takes effect, as the resources' timestamps carry it: the
 * worker's clock, not the `occurredAt` a producer claims (kept in the audit as such).
 */
export function timeOf(event: DomainEvent): string {
  return new Date(event.receivedAt ?? event.occurredAt).toISOString();
}

/** `list` with the first item that `matches` replaced by `item`, or `item` appended. */
export function replaced<T>(list: readonly T[], matches: (item: T) => boolean, item: T): T[] {
  const index = list.findIndex(matches);
  if (index < 0) return [...list, item];
  const out = [...list];
  out[index] = item;
  return out;
}
