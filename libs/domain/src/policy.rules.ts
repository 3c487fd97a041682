import {
  accepted,
  refused,
  replaced,
  serviceMissing,
  timeOf,
  type Decision,
  type EventOf,
} from './decision.js';
import type {
  DefaultPolicyAggregate,
  DefaultPolicyResource,
  PolicyResource,
  ServiceAggregate,
} from './governance-state.js';
import { Rejection, versionConflict } from './rejection.js';

const samePolicy = (type: string, env: string) => (p: PolicyResource) =>
  p.type === type && p.env === env;

/** Creates or replaces a service's policy of one type for one environment (or `*`). */
export function setPolicy(
  state: ServiceAggregate,
  event: EventOf<'policy.set'>,
): Decision<ServiceAggregate> {
  const d = event.data;
  if (!state.service) return serviceMissing(d.slug);
  const current = state.policies.find(samePolicy(d.type, d.env));
  const conflict = versionConflict(
    `policy ${d.type} (${d.env}) of ${d.slug}`,
    event.expectedVersion,
    current?.version ?? 0,
  );
  if (conflict) return refused(conflict);
  const at = timeOf(event);
  const policy: PolicyResource = {
    slug: d.slug,
    type: d.type,
    env: d.env,
    enabled: d.enabled,
    spec: d.spec,
    version: (current?.version ?? 0) + 1,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
  };
  return accepted(
    { ...state, policies: replaced(state.policies, samePolicy(d.type, d.env), policy) },
    { ...(current ? { before: current } : {}), after: policy, version: policy.version },
  );
}

/** Removes an override; removing one that is not there is `not-found`. */
export function removePolicy(
  state: ServiceAggregate,
  event: EventOf<'policy.removed'>,
): Decision<ServiceAggregate> {
  const d = event.data;
  if (!state.service) return serviceMissing(d.slug);
  const current = state.policies.find(samePolicy(d.type, d.env));
  if (!current)
    return refused(
      new Rejection('not-found', `${d.slug} has no ${d.type} policy for env ${d.env}`),
    );
  const conflict = versionConflict(
    `policy ${d.type} (${d.env}) of ${d.slug}`,
    event.expectedVersion,
    current.version,
  );
  if (conflict) return refused(conflict);
  return accepted(
    { ...state, policies: state.policies.filter((p) => p !== current) },
    { before: current },
  );
}

/** Sets the global default of a policy type; it is enabled unless the event says otherwise. */
export function setDefaultPolicy(
  state: DefaultPolicyAggregate,
  event: EventOf<'default-policy.set'>,
): Decision<DefaultPolicyAggregate> {
  const d = event.data;
  const current = state.policy;
  const conflict = versionConflict(
    `default ${d.type} policy`,
    event.expectedVersion,
    current?.version ?? 0,
  );
  if (conflict) return refused(conflict);
  const at = timeOf(event);
  const policy: DefaultPolicyResource = {
    type: d.type,
    enabled: d.enabled ?? true,
    spec: d.spec,
    version: (current?.version ?? 0) + 1,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
  };
  return accepted(
    { ...state, policy },
    { ...(current ? { before: current } : {}), after: policy, version: policy.version },
  );
}
