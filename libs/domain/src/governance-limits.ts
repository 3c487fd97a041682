import type { ConfigEntryResource } from './governance-state.js';
import { Rejection } from './rejection.js';

/**
 * How much one service may hold: the rules refuse an entry beyond the first cap and
 * prune the oldest history beyond the second, the same for every producer.
 */
export interface GovernanceLimits {
  /** Configuration entries of one service in one environment (`WARDEN_MAX_ENTRIES_PER_ENV`). */
  maxEntriesPerEnv: number;
  /** Versions of one entry that its history keeps (`WARDEN_MAX_VERSIONS_PER_KEY`). */
  maxVersionsPerKey: number;
}

export const DEFAULT_LIMITS: GovernanceLimits = { maxEntriesPerEnv: 1000, maxVersionsPerKey: 100 };

/**
 * A new entry in an environment that already holds the most it may: refused, naming the
 * cap. A write to an entry that exists is never refused by it, so a lowered cap leaves
 * what is there writable.
 */
export function entryCapRejection(
  config: readonly ConfigEntryResource[],
  entry: { slug: string; env: string; key: string },
  limits: GovernanceLimits,
): Rejection | undefined {
  let count = 0;
  for (const item of config) {
    if (item.env !== entry.env) continue;
    if (item.key === entry.key) return undefined;
    count++;
  }
  if (count < limits.maxEntriesPerEnv) return undefined;
  return new Rejection(
    'rule',
    `${entry.slug} already has ${count} configuration entries in ${entry.env}, the most allowed ` +
      `(${limits.maxEntriesPerEnv}, WARDEN_MAX_ENTRIES_PER_ENV); delete one or use fewer keys`,
  );
}

/**
 * The history keeps the newest `maxVersionsPerKey` versions of an entry: once `version`
 * is written, every version up to the one answered is dropped (0: none). Versions of an
 * entry are numbered without gaps, so this is a rule over the number alone.
 */
export function prunedThrough(version: number, limits: GovernanceLimits): number {
  return Math.max(0, version - limits.maxVersionsPerKey);
}

/** Why a rollback cannot reach a version that the history no longer keeps, if so. */
export function prunedVersionRejection(
  what: string,
  toVersion: number,
  lastVersion: number,
  limits: GovernanceLimits,
): Rejection | undefined {
  if (toVersion > prunedThrough(lastVersion, limits)) return undefined;
  return new Rejection(
    'rule',
    `${what} no longer keeps version ${toVersion}: its history holds the last ` +
      `${limits.maxVersionsPerKey} versions (WARDEN_MAX_VERSIONS_PER_KEY)`,
  );
}
