import type { Decision } from './decision.js';
import type { DomainEvent } from './event-validation.js';
import { defaultsAggregate, serviceAggregate } from './event.model.js';
import {
  emptyDefaultPolicyAggregate,
  emptyServiceAggregate,
  type AggregateState,
  type DefaultPolicyAggregate,
  type ServiceAggregate,
} from './governance-state.js';
import { deleteConfig, setConfig } from './config.rules.js';
import { removePolicy, setDefaultPolicy, setPolicy } from './policy.rules.js';
import { deleteService, registerService, updateService } from './service.rules.js';
import type { Rejection } from './rejection.js';
import { DEFAULT_LIMITS, type GovernanceLimits } from './governance-limits.js';

export type { Decision, ResourceChange, ConfigRecord, HistoryChange } from './decision.js';

/** The state of an event's aggregate before anything was written to it. */
export function emptyAggregateOf(event: DomainEvent): AggregateState {
  return event.type === 'default-policy.set'
    ? emptyDefaultPolicyAggregate(event.data.type)
    : emptyServiceAggregate(event.data.slug);
}

function serviceOf(state: AggregateState, event: DomainEvent): ServiceAggregate {
  if (state.kind === 'service' && serviceAggregate(state.slug) === event.aggregate) return state;
  throw new Error(`event ${event.id} of ${event.aggregate} given the state of another aggregate`);
}

function defaultsOf(state: AggregateState, event: DomainEvent): DefaultPolicyAggregate {
  if (state.kind === 'default-policy' && defaultsAggregate(state.type) === event.aggregate)
    return state;
  throw new Error(`event ${event.id} of ${event.aggregate} given the state of another aggregate`);
}

/**
 * Every rule the worker enforces: given the current state of the event's aggregate,
 * the state after the event and what it changed, or why the event is refused. Pure: it
 * reads nothing but its arguments and changes neither. `limits` caps what a service holds.
 */
export function decide(
  state: AggregateState,
  event: DomainEvent,
  limits: GovernanceLimits = DEFAULT_LIMITS,
): Decision {
  switch (event.type) {
    case 'service.registered':
      return registerService(serviceOf(state, event), event);
    case 'service.updated':
      return updateService(serviceOf(state, event), event);
    case 'service.deleted':
      return deleteService(serviceOf(state, event), event);
    case 'policy.set':
      return setPolicy(serviceOf(state, event), event);
    case 'policy.removed':
      return removePolicy(serviceOf(state, event), event);
    case 'default-policy.set':
      return setDefaultPolicy(defaultsOf(state, event), event);
    case 'config.set':
    case 'config.rolled-back':
      return setConfig(serviceOf(state, event), event, limits);
    case 'config.deleted':
      return deleteConfig(serviceOf(state, event), event);
  }
}

export type AcceptedDecision = Extract<Decision, { ok: true }>;

export type SequenceDecision =
  | {
      ok: true;
      /** The state after the whole sequence of every aggregate it touched, by aggregate. */
      states: Map<string, AggregateState>;
      /** One per event, in order. */
      decisions: AcceptedDecision[];
    }
  | { ok: false; index: number; rejection: Rejection };

/**
 * Applies events in order, all or none: each sees the state its predecessors left, and
 * the first refusal refuses the whole sequence. `states` holds the aggregates as they
 * are now (one missing from it holds nothing yet) and is not changed.
 */
export function decideAll(
  states: ReadonlyMap<string, AggregateState>,
  events: readonly DomainEvent[],
  limits: GovernanceLimits = DEFAULT_LIMITS,
): SequenceDecision {
  const next = new Map<string, AggregateState>();
  const decisions: AcceptedDecision[] = [];
  for (const [index, event] of events.entries()) {
    const current = next.get(event.aggregate) ?? states.get(event.aggregate);
    const decision = decide(current ?? emptyAggregateOf(event), event, limits);
    if (!decision.ok) return { ok: false, index, rejection: decision.rejection };
    next.set(event.aggregate, decision.state);
    decisions.push(decision);
  }
  return { ok: true, states: next, decisions };
}
