import {
  ANY_ENV,
  POLICY_TYPES,
  type DefaultPolicyState,
  type PolicyState,
} from './policy.model.js';
import type { ServiceState } from './service.model.js';
import { shownValue, type SecretOpener } from './secret-value.js';

export interface EffectiveView {
  service: Pick<ServiceState, 'slug' | 'name' | 'owner' | 'tier' | 'lifecycle' | 'tags'>;
  policies: Record<string, Record<string, unknown>>;
  config: Record<string, unknown>;
  version: number;
  computedAt: string;
}

/** Everything that the effective views of one service are computed from. */
export interface ServiceSnapshot {
  service: ServiceState;
  policies: PolicyState[];
  /** A secret's value is encrypted here too: snapshots are what Redis holds. */
  config: { env: string; key: string; value: unknown; secret?: true }[];
  /** Grows by one with every change applied to the service's aggregate. */
  revision: number;
}

export interface DefaultsSnapshot {
  policies: DefaultPolicyState[];
  /** Grows by one with every change to any global default. */
  revision: number;
}

/**
 * Merges a service's policies for one environment: the service's override for the
 * environment wins over its `*` override, which wins over the global default. The
 * winning level decides alone: a disabled winner hides the type, it does not fall
 * through to a lower level.
 */
export class EffectivePolicyResolver {
  static resolve(
    env: string,
    service: readonly PolicyState[],
    defaults: readonly DefaultPolicyState[],
  ): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const type of POLICY_TYPES) {
      const winner =
        service.find((p) => p.type === type && p.env === env) ??
        service.find((p) => p.type === type && p.env === ANY_ENV) ??
        defaults.find((p) => p.type === type);
      if (winner?.enabled) out[type] = winner.spec;
    }
    return out;
  }

  /** Secret values are masked unless `open` is given: the view of a reader with the `secrets` scope. */
  static compose(
    env: string,
    snapshot: ServiceSnapshot,
    defaults: DefaultsSnapshot,
    now: Date = new Date(),
    open?: SecretOpener,
  ): EffectiveView {
    const { slug, name, owner, tier, lifecycle, tags } = snapshot.service;
    const config: Record<string, unknown> = {};
    for (const entry of snapshot.config)
      if (entry.env === env) config[entry.key] = shownValue(entry, open);
    return {
      service: { slug, name, owner, tier, lifecycle, tags },
      policies: EffectivePolicyResolver.resolve(env, snapshot.policies, defaults.policies),
      config,
      version: effectiveVersion(snapshot.revision, defaults.revision),
      computedAt: now.toISOString(),
    };
  }
}

/**
 * Both revisions only grow, so their sum grows whenever either input changes: one
 * integer for clients, while the ETag keeps both parts (see effectiveEtag).
 */
export function effectiveVersion(serviceRevision: number, defaultsRevision: number): number {
  return serviceRevision + defaultsRevision;
}

export function effectiveEtag(serviceRevision: number, defaultsRevision: number): string {
  return `"e${serviceRevision}.${defaultsRevision}"`;
}
