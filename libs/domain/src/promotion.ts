import { diffJson } from './json-patch.js';

/** A configuration entry as promotion compares it. */
export interface PromotedEntry {
  key: string;
  /** A secret's plaintext: promotion compares and copies values, and the target stays secret. */
  value: unknown;
  description?: string;
  secret?: true;
  version: number;
}

/**
 * What promotion does to one key of the target environment: `added` (the source has it,
 * the target not), `changed` (both, with a different value or description), `unchanged`,
 * or `kept` (only the target has it: promotion never deletes).
 */
export type PromotionChangeKind = 'added' | 'changed' | 'unchanged' | 'kept';

export interface PromotionChange {
  key: string;
  change: PromotionChangeKind;
  /** The target's entry now; absent for `added`. */
  before?: { value: unknown; description?: string; secret?: true; version: number };
  /** The target's entry after the promotion; equals `before` unless added or changed. */
  after: { value: unknown; description?: string; secret?: true };
  /** The version of the source entry that is copied (added and changed only). */
  sourceVersion?: number;
}

export type PromotionPlan =
  { ok: true; changes: PromotionChange[] } | { ok: false; missing: string[] };

const entryOf = ({
  value,
  description,
  secret,
}: {
  value: unknown;
  description?: string;
  secret?: true;
}) => ({
  value,
  ...(description !== undefined ? { description } : {}),
  ...(secret ? { secret } : {}),
});

/**
 * Compares the source environment's entries with the target's, key by key in key
 * order. With `keys`, only those are promoted, and each must exist in the source (a key
 * the source lacks is `missing`, most likely a typo); without, every source key is, and
 * the keys only the target has are listed as `kept`.
 */
export function planPromotion(
  source: readonly PromotedEntry[],
  target: readonly PromotedEntry[],
  keys?: readonly string[],
): PromotionPlan {
  const from = new Map(source.map((entry) => [entry.key, entry]));
  const to = new Map(target.map((entry) => [entry.key, entry]));
  const missing = (keys ?? []).filter((key) => !from.has(key));
  if (missing.length > 0) return { ok: false, missing };
  const promoted = keys ? new Set(keys) : new Set([...from.keys(), ...to.keys()]);
  const changes = [...promoted].sort().map((key): PromotionChange => {
    const wanted = from.get(key);
    const current = to.get(key);
    const before = current && { ...entryOf(current), version: current.version };
    if (!wanted) return { key, change: 'kept', before, after: entryOf(current!) };
    const after = entryOf(wanted);
    const change: PromotionChangeKind = !current
      ? 'added'
      : sameEntry(current, wanted)
        ? 'unchanged'
        : 'changed';
    return change === 'unchanged'
      ? { key, change, before, after }
      : { key, change, ...(before ? { before } : {}), after, sourceVersion: wanted.version };
  });
  return { ok: true, changes };
}

function sameEntry(a: PromotedEntry, b: PromotedEntry): boolean {
  return (
    a.description === b.description &&
    a.secret === b.secret &&
    diffJson(a.value, b.value).length === 0
  );
}

/** The changes that promotion writes. */
export function promotionWrites(changes: readonly PromotionChange[]): PromotionChange[] {
  return changes.filter((c) => c.change === 'added' || c.change === 'changed');
}
