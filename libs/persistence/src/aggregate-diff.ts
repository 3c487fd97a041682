import type { Insertable, Selectable } from 'kysely';
import type {
  ConfigEntriesTable,
  ConfigHistoryTable,
  DefaultPoliciesTable,
  PoliciesTable,
  ServicesTable,
} from './database.types.js';
import { configRow, defaultPolicyRow, policyRow, serviceRow } from './row-mappers.js';
import type { AggregateState, ServiceAggregate } from '#domain/governance-state';

/** A batch's net effect, table by table: what to upsert and the keys of what to delete. */
export interface RowChanges {
  services: Selectable<ServicesTable>[];
  removedServices: string[];
  defaults: Selectable<DefaultPoliciesTable>[];
  policies: Selectable<PoliciesTable>[];
  /** `[slug, type, env]` */
  removedPolicies: [string, string, string][];
  config: Selectable<ConfigEntriesTable>[];
  /** `[slug, env, key]` */
  removedConfig: [string, string, string][];
  /** Versions recorded since the load, in order. */
  history: Insertable<ConfigHistoryTable>[];
  /** Services whose whole history goes (it went with a deletion of the service). */
  erasedHistory: string[];
  /** Entries whose oldest versions go: every version up to `through` (the cap's rule). */
  prunedHistory: PrunedHistory[];
}

export interface PrunedHistory {
  slug: string;
  env: string;
  key: string;
  through: number;
}

/**
 * Items of `after` that are not in `before` (the rules never change a resource in
 * place, so a new object is a changed row), and the keys of `before` that `after` lost.
 */
function compare<T>(
  before: readonly T[],
  after: readonly T[],
  keyOf: (item: T) => string,
): { upserts: T[]; removed: T[] } {
  const kept = new Set(before);
  const keys = new Set(after.map(keyOf));
  return {
    upserts: after.filter((item) => !kept.has(item)),
    removed: before.filter((item) => !keys.has(keyOf(item))),
  };
}

const policyKey = (p: { type: string; env: string }) => `${p.type}\u0000${p.env}`;
const entryKey = (c: { env: string; key: string }) => `${c.env}\u0000${c.key}`;

function compareService(
  loaded: ServiceAggregate | undefined,
  current: ServiceAggregate,
  out: RowChanges,
): void {
  if (current.service && current.service !== loaded?.service)
    out.services.push(serviceRow(current.service));
  if (!current.service && loaded?.service) out.removedServices.push(current.slug);
  const policies = compare(loaded?.policies ?? [], current.policies, policyKey);
  out.policies.push(...policies.upserts.map(policyRow));
  out.removedPolicies.push(
    ...policies.removed.map((p): [string, string, string] => [p.slug, p.type, p.env]),
  );
  const config = compare(loaded?.config ?? [], current.config, entryKey);
  out.config.push(...config.upserts.map(configRow));
  out.removedConfig.push(
    ...config.removed.map((c): [string, string, string] => [c.slug, c.env, c.key]),
  );
}

/** Compares the aggregates as loaded with the same aggregates after the batch. */
export function rowChangesOf(
  loaded: ReadonlyMap<string, AggregateState>,
  current: ReadonlyMap<string, AggregateState>,
): RowChanges {
  const out: RowChanges = {
    services: [],
    removedServices: [],
    defaults: [],
    policies: [],
    removedPolicies: [],
    config: [],
    removedConfig: [],
    history: [],
    prunedHistory: [],
    erasedHistory: [],
  };
  for (const [aggregate, state] of current) {
    const before = loaded.get(aggregate);
    if (state === before) continue;
    if (state.kind === 'service') {
      compareService(before as ServiceAggregate | undefined, state, out);
    } else if (
      state.policy &&
      (before?.kind !== 'default-policy' || state.policy !== before.policy)
    ) {
      out.defaults.push(defaultPolicyRow(state.policy));
    }
  }
  return out;
}
