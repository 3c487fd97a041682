import type { ConfigEntryState } from './config.model.js';
import type { ServiceSnapshot } from './effective-view.js';
import type { DefaultPolicyState, PolicyState, PolicyType } from './policy.model.js';
import type { ServiceResource, Versioned } from './service.model.js';

export type PolicyResource = Versioned<PolicyState>;
export type DefaultPolicyResource = Versioned<DefaultPolicyState>;
export type ConfigEntryResource = Versioned<ConfigEntryState>;
export type GovernanceResource =
  ServiceResource | PolicyResource | DefaultPolicyResource | ConfigEntryResource;

/** A version of a configuration entry that a rollback can return to. */
export interface ConfigVersion {
  version: number;
  value: unknown;
  description?: string;
  secret?: true;
}

/** What the history of one configuration entry tells the rules. */
export interface ConfigLineage {
  env: string;
  key: string;
  /** The highest version ever written; a deleted entry keeps it, so no number is reused. */
  lastVersion: number;
  /**
   * The versions a rollback may return to. The history is never loaded whole: a loader
   * supplies at least the entries the events touch and the versions they roll back to.
   */
  versions: readonly ConfigVersion[];
}

/** One service with everything that belongs to it: the unit that events of `service:{slug}` change. */
export interface ServiceAggregate {
  kind: 'service';
  slug: string;
  /** Absent while the service is not registered (or after its deletion). */
  service?: ServiceResource;
  policies: readonly PolicyResource[];
  config: readonly ConfigEntryResource[];
  history: readonly ConfigLineage[];
}

/** The global default of one policy type: the unit that events of `defaults:{type}` change. */
export interface DefaultPolicyAggregate {
  kind: 'default-policy';
  type: PolicyType;
  policy?: DefaultPolicyResource;
}

export type AggregateState = ServiceAggregate | DefaultPolicyAggregate;

export function emptyServiceAggregate(slug: string): ServiceAggregate {
  return { kind: 'service', slug, policies: [], config: [], history: [] };
}

export function emptyDefaultPolicyAggregate(type: PolicyType): DefaultPolicyAggregate {
  return { kind: 'default-policy', type };
}

/**
 * What the effective views of a service are made of, at the aggregate's revision;
 * `undefined` while the service does not exist.
 */
export function serviceSnapshotOf(
  aggregate: ServiceAggregate,
  revision: number,
): ServiceSnapshot | undefined {
  if (!aggregate.service) return undefined;
  const { version: _v, createdAt: _c, updatedAt: _u, ...service } = aggregate.service;
  const policies = [...aggregate.policies].sort(
    (a, b) => a.type.localeCompare(b.type) || a.env.localeCompare(b.env),
  );
  const config = [...aggregate.config]
    .sort((a, b) => a.env.localeCompare(b.env) || a.key.localeCompare(b.key))
    .map(({ env, key, value, secret }) =>
      secret ? { env, key, value, secret } : { env, key, value },
    );
  return { service, policies, config, revision };
}
