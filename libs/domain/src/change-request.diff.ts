import type { ProposedChange } from './change-request.model.js';
import {
  EffectivePolicyResolver,
  type DefaultsSnapshot,
  type EffectiveView,
} from './effective-view.js';
import { aggregateOfData, type DomainEvent } from './event-validation.js';
import { SCHEMA_VERSION, serviceAggregate } from './event.model.js';
import {
  serviceSnapshotOf,
  type AggregateState,
  type ServiceAggregate,
} from './governance-state.js';
import { decideAll } from './governance.rules.js';
import { ANY_ENV, type DefaultPolicyState } from './policy.model.js';
import type { Rejection } from './rejection.js';

/** The record as it is now, as far as a request's changes reach. */
export interface CurrentRecord {
  /** The aggregates the changes touch, and every global default. */
  states: ReadonlyMap<string, AggregateState>;
  /** Each aggregate's revision (0 or absent: never written). */
  revisions: ReadonlyMap<string, number>;
  defaultsRevision: number;
}

export interface ViewDiff {
  slug: string;
  env: string;
  /** Null while the service does not exist. */
  before: EffectiveView | null;
  after: EffectiveView | null;
}

export type RequestDiff =
  { ok: true; diff: ViewDiff[] } | { ok: false; index: number; rejection: Rejection };

const PREVIEW_ID = '00000000-0000-4000-8000-000000000000';

/** The changes as events, as the worker would apply them at `at`. */
export function previewEvents(changes: readonly ProposedChange[], at: string): DomainEvent[] {
  return changes.map(
    (change) =>
      ({
        id: PREVIEW_ID,
        type: change.type,
        aggregate: aggregateOfData(change.type, change.data),
        actor: 'preview',
        occurredAt: at,
        receivedAt: at,
        schemaVersion: SCHEMA_VERSION,
        ...(change.expectedVersion !== undefined
          ? { expectedVersion: change.expectedVersion }
          : {}),
        data: change.data,
      }) as unknown as DomainEvent,
  );
}

function defaultsOf(
  states: ReadonlyMap<string, AggregateState>,
  revision: number,
): DefaultsSnapshot {
  const policies: DefaultPolicyState[] = [];
  for (const state of states.values()) {
    if (state.kind === 'default-policy' && state.policy) policies.push(state.policy);
  }
  return { policies: policies.sort((a, b) => a.type.localeCompare(b.type)), revision };
}

/** The environments a service's view is shown in: those named, else those it has. */
function environmentsOf(
  slug: string,
  changes: readonly ProposedChange[],
  aggregates: (ServiceAggregate | undefined)[],
): string[] {
  const named = new Set<string>();
  let wholeService = false;
  for (const change of changes) {
    if (change.type === 'default-policy.set' || change.data.slug !== slug) continue;
    const env = change.data.env;
    if (typeof env === 'string' && env !== ANY_ENV) named.add(env);
    else wholeService = true;
  }
  if (wholeService) {
    for (const aggregate of aggregates) {
      for (const entry of [...(aggregate?.config ?? []), ...(aggregate?.policies ?? [])])
        if (entry.env !== ANY_ENV) named.add(entry.env);
    }
  }
  return named.size > 0 ? [...named].sort() : [ANY_ENV];
}

/**
 * For each service and environment a request touches, the effective view now and
 * after its changes, computed with the worker's own rules and nothing written; or the
 * first change the rules would refuse. A change to a global default reaches every
 * service and is shown only through the services the request touches otherwise.
 */
export function diffChangeRequest(
  record: CurrentRecord,
  changes: readonly ProposedChange[],
  at: string,
): RequestDiff {
  const events = previewEvents(changes, at);
  const decided = decideAll(record.states, events);
  if (!decided.ok) return decided;
  const after = new Map(record.states);
  for (const [aggregate, state] of decided.states) after.set(aggregate, state);
  const writes = new Map<string, number>();
  for (const event of events) writes.set(event.aggregate, (writes.get(event.aggregate) ?? 0) + 1);
  const defaultsWrites = events.filter((e) => e.type === 'default-policy.set').length;
  const defaultsBefore = defaultsOf(record.states, record.defaultsRevision);
  const defaultsAfter = defaultsOf(after, record.defaultsRevision + defaultsWrites);
  const now = new Date(at);

  const slugs = [
    ...new Set(events.flatMap((e) => (e.type === 'default-policy.set' ? [] : [e.data.slug]))),
  ];
  return {
    ok: true,
    diff: slugs.flatMap((slug) => {
      const aggregate = serviceAggregate(slug);
      const revision = record.revisions.get(aggregate) ?? 0;
      const was = record.states.get(aggregate) as ServiceAggregate | undefined;
      const will = after.get(aggregate) as ServiceAggregate | undefined;
      const beforeSnapshot = was && serviceSnapshotOf(was, revision);
      const afterSnapshot =
        will && serviceSnapshotOf(will, revision + (writes.get(aggregate) ?? 0));
      return environmentsOf(slug, changes, [was, will]).map((env) => ({
        slug,
        env,
        before: beforeSnapshot
          ? EffectivePolicyResolver.compose(env, beforeSnapshot, defaultsBefore, now)
          : null,
        after: afterSnapshot
          ? EffectivePolicyResolver.compose(env, afterSnapshot, defaultsAfter, now)
          : null,
      }));
    }),
  };
}
